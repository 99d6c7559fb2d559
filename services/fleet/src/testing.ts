// A fake RegistryService for the fleet's unit tests: records what the fleet asked Harbor to hold,
// and can be switched "down" to act like an unreachable Harbor.
import { createHash } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { RegistryService, StateKind } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { errorMappingInterceptor, renamedField } from "@harbor-satellite/rpc";
import type { RegistryClient } from "./publish-jobs.js";

export interface FakeRegistry {
  client: RegistryClient;
  /** Harbor is unreachable while true. */
  down: boolean;
  /** Publishing calls hang (until the caller gives up) while true. */
  hang: boolean;
  groupStates: Map<string, { artifacts: Array<{ repository: string; tags: string[]; digest: string; type: string }> }>;
  satelliteStates: Map<string, { groups: string[]; configName: string }>;
  /** The digests each satellite state pins its groups and config to. */
  satellitePins: Map<string, { groups: Record<string, string>; config: string }>;
  configStates: Map<string, Record<string, unknown>>;
  /** Digest of the last published state by "<kind> <name>"; a function of the content, as in Harbor. */
  digests: Map<string, string>;
  /** Publishes by "<kind> <name>" whose digest differed from the previous one. */
  changes: Map<string, number>;
  robots: Map<string, string[]>;
  /** Harbor's tags by repository ("project/name"), for ListRepositoryTags; unknown → NotFound. */
  repositoryTags: Map<string, Array<{ name: string; digest: string; pushTime: Date }>>;
  /** Every call, in order: "<method> <subject>". */
  calls: string[];
}

export function createFakeRegistry(harborUrl = "http://harbor.test"): FakeRegistry {
  const fake: FakeRegistry = {
    client: undefined as unknown as RegistryClient,
    down: false,
    hang: false,
    groupStates: new Map(),
    satelliteStates: new Map(),
    satellitePins: new Map(),
    configStates: new Map(),
    digests: new Map(),
    changes: new Map(),
    robots: new Map(),
    repositoryTags: new Map(),
    calls: [],
  };
  const up = (call: string) => {
    if (fake.down) throw new ConnectError("Harbor is unreachable", Code.Unavailable);
    fake.calls.push(call);
  };
  const published = (key: string, content: unknown) => {
    const digest = `sha256:${createHash("sha256").update(JSON.stringify(content)).digest("hex")}`;
    if (fake.digests.get(key) !== digest) fake.changes.set(key, (fake.changes.get(key) ?? 0) + 1);
    fake.digests.set(key, digest);
    return { state: { url: "", digest, timestampTag: "1" } };
  };
  const transport = createRouterTransport(
    (router) =>
      router.service(RegistryService, {
        getRegistryInfo: () => ({ harborUrl, stateProject: "satellite", healthy: !fake.down }),
        ensureRobot(req) {
          up(`ensureRobot ${req.satellite}`);
          fake.robots.set(req.satellite, [...req.projects]);
          return { robot: { satellite: req.satellite, name: `robot$${req.satellite}`, projects: req.projects } };
        },
        deleteRobot(req) {
          up(`deleteRobot ${req.satellite}`);
          fake.robots.delete(req.satellite);
          return {};
        },
        async publishGroupState(req, ctx) {
          if (fake.hang) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          up(`publishGroupState ${req.group}`);
          const state = {
            artifacts: req.artifacts.map((a) => ({
              repository: a.repository,
              tags: [...a.tags],
              digest: a.digest,
              type: a.type,
            })),
          };
          fake.groupStates.set(req.group, state);
          return published(`group ${req.group}`, state);
        },
        publishSatelliteState(req) {
          // As the real service: every listed state must come with its digest.
          const configName = renamedField("config", req.config, "config_name", req.configName);
          const unpinned = req.groups.filter((g) => !req.groupDigests[g]);
          if (unpinned.length > 0 || (configName && !req.configDigest))
            throw new ConnectError(`unpinned ${unpinned.join(",") || "config"}`, Code.InvalidArgument);
          up(`publishSatelliteState ${req.satellite}`);
          fake.satelliteStates.set(req.satellite, { groups: [...req.groups], configName });
          fake.satellitePins.set(req.satellite, { groups: { ...req.groupDigests }, config: req.configDigest });
          return published(`satellite ${req.satellite}`, {
            groups: req.groups,
            pins: req.groupDigests,
            config: configName,
            configDigest: req.configDigest,
          });
        },
        publishConfigState(req) {
          const name = renamedField("config", req.config, "config_name", req.configName);
          up(`publishConfigState ${name}`);
          const config = JSON.parse(req.configJson) as Record<string, unknown>;
          fake.configStates.set(name, config);
          return published(`config ${name}`, config);
        },
        listRepositoryTags(req) {
          up(`listRepositoryTags ${req.repository}`);
          const tags = fake.repositoryTags.get(req.repository);
          if (!tags) throw new ConnectError(`repository ${req.repository} not found`, Code.NotFound);
          return { tags: tags.map((t) => ({ ...t, pushTime: timestampFromDate(t.pushTime) })) };
        },
        deleteState(req) {
          up(`deleteState ${StateKind[req.kind]} ${req.name}`);
          const maps = {
            [StateKind.GROUP]: fake.groupStates,
            [StateKind.SATELLITE]: fake.satelliteStates,
            [StateKind.CONFIG]: fake.configStates,
          } as Record<number, Map<string, unknown>>;
          maps[req.kind]?.delete(req.name);
          return {};
        },
      }),
    { router: { interceptors: [errorMappingInterceptor()] } },
  );
  fake.client = createClient(RegistryService, transport);
  return fake;
}

/** The code and message of the ConnectError a call failed with; throws when it did not fail so. */
export async function failure(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConnectError))
    throw new Error(
      `expected the call to fail with a ConnectError, got ${err === undefined ? "success" : String(err)}`,
    );
  return { code: err.code, message: err.rawMessage };
}
