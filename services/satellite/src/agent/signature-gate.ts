// The agent's side of the signature policy (policy/signature-policy.ts): the manifest gate its
// registry asks before serving, and the refusals the heartbeat lists beside replication's own
// errors. The policy follows the live config (app_config.signature_policy): a config artifact
// that turns require_signature on or changes the keys applies from the next request on — and
// already before the pass that brought it stores any image (`ahead`, from the state pass's
// onConfigAhead), so no image of that pass is served under the old policy.
import type { Logger } from "pino";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { ManifestGate } from "../registry/context.js";
import { createSignaturePolicy, type SignaturePolicy } from "../policy/signature-policy.js";
import type { ServingStore } from "../store/serving-store.js";
import type { ReplicationReport } from "./state-replication.js";

export interface SignatureGate {
  readonly policy: SignaturePolicy;
  /** For the local registry: throws DENIED for a runnable image the policy refuses. */
  readonly gate: ManifestGate;
  /** The report with one error per refused image (`repository:tag`, the reason). */
  withRefusals(report: ReplicationReport): Promise<ReplicationReport>;
  /** A validated config's policy, taken before that config is applied (it then stays until the config changes). */
  ahead(settings: SatelliteConfig["app_config"]["signature_policy"]): void;
}

export function createSignatureGate(options: {
  store: ServingStore;
  config: () => SatelliteConfig;
  logger: Logger;
}): SignatureGate {
  const policy = createSignaturePolicy({ store: options.store, logger: options.logger });
  type Settings = SatelliteConfig["app_config"]["signature_policy"];
  const apply = (settings: Settings) =>
    policy.configure({ requireSignature: settings.require_signature, trustedKeys: settings.trusted_keys });
  /** The config's settings last seen: only a changed config overrides what `ahead` took. */
  let seen: Settings | undefined;
  const follow = () => {
    const settings = options.config().app_config.signature_policy;
    if (settings === seen) return;
    seen = settings;
    apply(settings);
  };
  return {
    policy,
    gate: async (repository, reference, manifest) => {
      follow();
      await policy.checkServe(repository, reference, manifest);
    },
    ahead(settings) {
      follow();
      apply(settings);
    },
    async withRefusals(report) {
      follow();
      const refusals = await policy.refusals();
      return refusals.length === 0 ? report : { ...report, errors: [...report.errors, ...refusals] };
    },
  };
}
