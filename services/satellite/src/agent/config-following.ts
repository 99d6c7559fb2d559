// What a state pass tells the agent about the config artifact. Ahead of the pass's copies: the
// new sync policy (windows, cap) and signature policy govern the pass that brought them, so no
// image of it is fetched or served under the old ones. After: the new config is taken (applied
// live, saved), and runtimes are pointed again when registry_fallback was turned on.
import { isDeepStrictEqual } from "node:util";
import { validateSatelliteConfig } from "@harbor-satellite/satellite-config";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { SyncGate } from "../replication/sync-gate.js";
import type { AgentState } from "./agent-state.js";
import type { SignatureGate } from "./signature-gate.js";

export interface ConfigFollowingOptions {
  state: AgentState;
  /** Applies a config document live and saves it; the config now in force. */
  apply(current: SatelliteConfig, document: unknown, digest: string): Promise<SatelliteConfig>;
  syncGate: Pick<SyncGate, "apply">;
  signatures: Pick<SignatureGate, "ahead">;
  /** Sets the runtimes up again; the activity line to report, if any. */
  pointRuntimes(): Promise<string | undefined>;
}

export function followConfig(options: ConfigFollowingOptions): {
  onConfigAhead(document: unknown): void;
  onConfig(document: unknown, digest: string): Promise<void>;
} {
  const { state, syncGate } = options;
  return {
    onConfigAhead(document) {
      const verdict = validateSatelliteConfig(document);
      if (!verdict.ok) return;
      syncGate.apply(verdict.config.app_config.sync_policy);
      options.signatures.ahead(verdict.config.app_config.signature_policy);
    },
    async onConfig(document, digest) {
      const next = await options.apply(state.config, document, digest);
      const fallbackChanged = !isDeepStrictEqual(
        next.app_config.registry_fallback,
        state.config.app_config.registry_fallback,
      );
      state.config = next;
      syncGate.apply(next.app_config.sync_policy);
      if (fallbackChanged && next.app_config.registry_fallback.enabled)
        state.pendingActivity = (await options.pointRuntimes()) ?? state.pendingActivity;
    },
  };
}
