// The edge policy the one-shot commands (`sync --once`, `serve`) follow: the sync windows and
// bandwidth cap (app_config.sync_policy) and the signature policy (app_config.signature_policy)
// of the satellite config — the one Ground Control validates and the agent runs with. Read from
// `--config FILE`, or else from the agent's saved `<data-dir>/config.json` (sealed to this device
// or plain), so a pass or a registry started by hand on an agent's data dir keeps its policy. No
// config at all: no windows, no cap, no signature requirement (as before these commands knew one).
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { SyncPolicyConfig } from "@harbor-satellite/satellite-config";
import { CONFIG_FILE } from "../config/config-file-name.js";
import type { SatelliteConfig } from "../config/satellite-config.js";
import { deviceFingerprint } from "../fingerprint/device-fingerprint.js";
import { UsageError } from "../flags/usage-error.js";
import { createSignaturePolicy, type SignaturePolicy } from "../policy/signature-policy.js";
import type { ServingStore } from "../store/serving-store.js";
import type { Logger } from "pino";

export interface EdgePolicy {
  sync: SyncPolicyConfig;
  signature: SatelliteConfig["app_config"]["signature_policy"];
  /** Where it was read: the --config path or the data dir's config.json. */
  source: string;
}

export interface EdgePolicySource {
  /** `--config FILE`; required to exist when given. */
  configFile?: string;
  dataDir: string;
  /** Reads a sealed config (default: this device's fingerprint). */
  fingerprint?: () => Promise<string>;
}

/** The policy to follow, or undefined when there is no config (then nothing is restricted). */
export async function loadEdgePolicy(source: EdgePolicySource): Promise<EdgePolicy | undefined> {
  const path = source.configFile ?? join(source.dataDir, CONFIG_FILE);
  const flag = source.configFile === undefined ? path : `--config ${path}`;
  // Most one-shot runs have no config: only one that does loads the reader and its schema
  // validator (~10 ms of every start otherwise).
  if (source.configFile === undefined && (await access(path).then(() => false, isMissing))) return undefined;
  const { loadConfigFile } = await import("../config/config-file.js");
  const loaded = await loadConfigFile(path, { fingerprint: source.fingerprint ?? (() => deviceFingerprint()) }).catch(
    (error: unknown) => {
      throw new UsageError(`${flag}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    },
  );
  if (loaded.status === "missing") {
    if (source.configFile !== undefined) throw new UsageError(`${flag}: no such file`);
    return undefined;
  }
  if (loaded.status === "discard")
    throw new UsageError(
      `${flag} cannot be used (${loaded.reason.message})${source.configFile === undefined ? "; pass --config FILE with the satellite config to follow" : ""}`,
    );
  const { sync_policy: sync, signature_policy: signature } = loaded.config.app_config;
  return { sync, signature, source: path };
}

/** ENOENT: there is no config; any other failure is left to the reader, which reports it. */
const isMissing = (error: NodeJS.ErrnoException) => error.code === "ENOENT";

/** The signature policy configured from `policy` (off without one), reading what `store` holds. */
export function signaturePolicyOf(
  policy: EdgePolicy | undefined,
  store: Pick<ServingStore, "getManifest" | "referrers" | "openBlob" | "listTags" | "listRepositories">,
  logger: Logger,
): SignaturePolicy {
  const signatures = createSignaturePolicy({ store, logger });
  signatures.configure({
    requireSignature: policy?.signature.require_signature ?? false,
    trustedKeys: policy?.signature.trusted_keys ?? [],
  });
  return signatures;
}
