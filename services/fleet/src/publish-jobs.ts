// What each outbox kind does: read the subject's CURRENT state and make Harbor match it through
// the registry service. A subject that no longer exists has its artifact or robot deleted, so a
// single job kind per subject converges whatever happened in between.
//
// Satellite states pin their group and config states by digest: a group or config publish records
// its digest and, when it changed, queues the satellite states listing it (store/state-digests.ts);
// a satellite publish uses the digests recorded now, and waits (fails, is retried, and is queued
// again by the missing publish) while any of them has never been published.
import type { Client } from "@connectrpc/connect";
import { StateKind, type RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { FleetStore, OutboxJob } from "./store/index.js";
import { registryTagLister } from "./tag-filters/registry-tags.js";
import { hasTagFilters, resolveGroupArtifacts } from "./tag-filters/resolve-group.js";

export type RegistryClient = Client<typeof RegistryService>;

/** A satellite state cannot be written yet: a group or config it lists was never published. */
export class StateNotPublishedError extends Error {
  constructor(
    readonly satellite: string,
    readonly missing: string[],
  ) {
    super(`satellite state of ${satellite} waits for the first publish of ${missing.join(", ")}`);
    this.name = "StateNotPublishedError";
  }
}

function publishedDigest(res: { state?: { digest: string } }, what: string): string {
  const digest = res.state?.digest ?? "";
  if (!digest) throw new Error(`the registry service published ${what} without reporting its digest`);
  return digest;
}

const cascadeNote = (satellites: string[]) =>
  satellites.length > 0 ? `; satellite states queued: ${satellites.join(", ")}` : "";

/**
 * Returns what was done, for the log line. Every registry call gets `timeoutMs`, so a hung
 * Harbor cannot stall the publisher (the row's lease outlasts it, and the job is retried).
 */
export async function runJob(
  job: OutboxJob,
  store: FleetStore,
  registry: RegistryClient,
  timeoutMs = 60_000,
): Promise<string> {
  const name = job.subject;
  const call = { timeoutMs };
  switch (job.kind) {
    case "publish-group-state": {
      const artifacts = await store.groupState(name);
      if (!artifacts) {
        await registry.deleteState({ kind: StateKind.GROUP, name }, call);
        return "group state deleted";
      }
      // Tag filters are resolved now, against Harbor's current tags (resolve-group.ts).
      const entries = await resolveGroupArtifacts(name, artifacts, registryTagLister(registry, timeoutMs));
      const res = await registry.publishGroupState(
        {
          group: name,
          artifacts: entries.map((a) => ({
            repository: a.repository,
            tags: a.tags,
            digest: a.digest ?? "",
            type: a.type ?? "image",
          })),
        },
        call,
      );
      const digest = publishedDigest(res, `group state ${name}`);
      const resolved = hasTagFilters(artifacts) ? entries : null;
      const cascade = await store.recordGroupState(name, artifacts, digest, resolved);
      return `group state published ${digest}${cascadeNote(cascade)}`;
    }
    case "publish-satellite-state": {
      const state = await store.satelliteState(name);
      if (!state) {
        await registry.deleteState({ kind: StateKind.SATELLITE, name }, call);
        return "satellite state deleted";
      }
      const missing = [
        ...state.groups.filter((g) => !state.groupDigests[g]).map((g) => `group ${g}`),
        ...(state.configName && !state.configDigest ? [`config ${state.configName}`] : []),
      ];
      if (missing.length > 0) throw new StateNotPublishedError(name, missing);
      const groupDigests = Object.fromEntries(state.groups.map((g) => [g, state.groupDigests[g] as string]));
      // configName too until v0.3: a registry process not yet upgraded reads only that.
      const res = await registry.publishSatelliteState(
        {
          satellite: name,
          groups: state.groups,
          groupDigests,
          config: state.configName,
          configName: state.configName,
          configDigest: state.configDigest ?? "",
        },
        call,
      );
      return `satellite state published ${res.state?.digest ?? ""}`;
    }
    case "publish-config-state": {
      const config = await store.configState(name);
      if (!config) {
        await registry.deleteState({ kind: StateKind.CONFIG, name }, call);
        return "config state deleted";
      }
      // configName too until v0.3: a registry process not yet upgraded reads only that.
      const res = await registry.publishConfigState(
        { config: name, configName: name, configJson: JSON.stringify(config) },
        call,
      );
      const digest = publishedDigest(res, `config state ${name}`);
      return `config state published ${digest}${cascadeNote(await store.recordConfigState(name, config, digest))}`;
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
