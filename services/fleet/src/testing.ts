// A fake RegistryService for the fleet's unit tests: records what the fleet asked Harbor to hold,
// and can be switched "down" to act like an unreachable Harbor.
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { RegistryService, StateKind } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import type { RegistryClient } from "./publish-jobs.js";

export interface FakeRegistry {
  client: RegistryClient;
  /** Harbor is unreachable while true. */
  down: boolean;
  /** Publishing calls hang (until the caller gives up) while true. */
  hang: boolean;
  groupStates: Map<string, { artifacts: Array<{ repository: string; tags: string[]; digest: string; type: string }> }>;
  satelliteStates: Map<string, { groups: string[]; configName: string }>;
  configStates: Map<string, Record<string, unknown>>;
  robots: Map<string, string[]>;
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
    configStates: new Map(),
    robots: new Map(),
    calls: [],
  };
  const up = (call: string) => {
    if (fake.down) throw new ConnectError("Harbor is unreachable", Code.Unavailable);
    fake.calls.push(call);
  };
  const published = { url: "", digest: "sha256:" + "0".repeat(64), timestampTag: "1" };
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
          fake.groupStates.set(req.group, { artifacts: req.artifacts.map((a) => ({ repository: a.repository, tags: [...a.tags], digest: a.digest, type: a.type })) });
          return { state: published };
        },
        publishSatelliteState(req) {
          up(`publishSatelliteState ${req.satellite}`);
          fake.satelliteStates.set(req.satellite, { groups: [...req.groups], configName: req.configName });
          return { state: published };
        },
        publishConfigState(req) {
          up(`publishConfigState ${req.configName}`);
          fake.configStates.set(req.configName, JSON.parse(req.configJson) as Record<string, unknown>);
          return { state: published };
        },
        deleteState(req) {
          up(`deleteState ${StateKind[req.kind]} ${req.name}`);
          const maps = { [StateKind.GROUP]: fake.groupStates, [StateKind.SATELLITE]: fake.satelliteStates, [StateKind.CONFIG]: fake.configStates } as Record<number, Map<string, unknown>>;
          maps[req.kind]?.delete(req.name);
          return {};
        },
      }),
    { router: { interceptors: [errorMappingInterceptor()] } },
  );
  fake.client = createClient(RegistryService, transport);
  return fake;
}
