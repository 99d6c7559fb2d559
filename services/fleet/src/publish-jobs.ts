// What each outbox kind does: read the subject's CURRENT state and make Harbor match it through
// the registry service. A subject that no longer exists has its artifact or robot deleted, so a
// single job kind per subject converges whatever happened in between.
import type { Client } from "@connectrpc/connect";
import { StateKind, type RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { FleetStore, OutboxJob } from "./store/index.js";

export type RegistryClient = Client<typeof RegistryService>;

/**
 * Returns what was done, for the log line. Every registry call gets `timeoutMs`, so a hung
 * Harbor cannot stall the publisher (the row's lease outlasts it, and the job is retried).
 */
export async function runJob(job: OutboxJob, store: FleetStore, registry: RegistryClient, timeoutMs = 60_000): Promise<string> {
  const name = job.subject;
  const call = { timeoutMs };
  switch (job.kind) {
    case "publish-group-state": {
      const artifacts = await store.groupState(name);
      if (!artifacts) {
        await registry.deleteState({ kind: StateKind.GROUP, name }, call);
        return "group state deleted";
      }
      const res = await registry.publishGroupState({
        group: name,
        artifacts: artifacts.map((a) => ({ repository: a.repository, tags: a.tags, digest: a.digest ?? "", type: a.type ?? "image" })),
      }, call);
      return `group state published ${res.state?.digest ?? ""}`;
    }
    case "publish-satellite-state": {
      const state = await store.satelliteState(name);
      if (!state) {
        await registry.deleteState({ kind: StateKind.SATELLITE, name }, call);
        return "satellite state deleted";
      }
      const res = await registry.publishSatelliteState({ satellite: name, groups: state.groups, configName: state.configName }, call);
      return `satellite state published ${res.state?.digest ?? ""}`;
    }
    case "publish-config-state": {
      const config = await store.configState(name);
      if (!config) {
        await registry.deleteState({ kind: StateKind.CONFIG, name }, call);
        return "config state deleted";
      }
      const res = await registry.publishConfigState({ configName: name, configJson: JSON.stringify(config) }, call);
      return `config state published ${res.state?.digest ?? ""}`;
    }
    case "sync-robot": {
      const state = await store.satelliteState(name);
      if (!state) {
        await registry.deleteRobot({ satellite: name }, call);
        return "robot deleted";
      }
      // The secret EnsureRobot returns on creation is dropped on purpose: satellites get theirs
      // from RotateRobotSecret at registration, and Ground Control keeps only hashes.
      await registry.ensureRobot({ satellite: name, projects: state.projects }, call);
      return `robot synced (${state.projects.join(", ") || "no group projects"})`;
    }
    default:
      throw new Error(`unknown outbox kind ${JSON.stringify(job.kind)}`);
  }
}
