// The agent's side of the signature policy (policy/signature-policy.ts): the manifest gate its
// registry asks before serving, and the refusals the heartbeat lists beside replication's own
// errors. The policy follows the live config (app_config.signature_policy): a config artifact
// that turns require_signature on or changes the keys applies from the next request on.
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
}

export function createSignatureGate(options: {
  store: ServingStore;
  config: () => SatelliteConfig;
  logger: Logger;
}): SignatureGate {
  const policy = createSignaturePolicy({ store: options.store, logger: options.logger });
  let applied: unknown;
  const follow = () => {
    const settings = options.config().app_config.signature_policy;
    if (settings === applied) return;
    applied = settings;
    policy.configure({ requireSignature: settings.require_signature, trustedKeys: settings.trusted_keys });
  };
  return {
    policy,
    gate: async (repository, reference, manifest) => {
      follow();
      await policy.checkServe(repository, reference, manifest);
    },
    async withRefusals(report) {
      follow();
      const refusals = await policy.refusals();
      return refusals.length === 0 ? report : { ...report, errors: [...report.errors, ...refusals] };
    },
  };
}
