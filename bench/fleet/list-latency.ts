// Part (a) of bench/fleet/scale.ts: admin list calls against the real Ground Control, one in
// flight (an operator's console or groundctl paging), pages of 100 at random positions and
// filters, timed at the client from request to decoded response. Random pages are reached with
// the tokens the server would hand out (an offset for ListSatellites, the name to start after
// for ListSatelliteDrift): the bench mints them, which a client may not, so a page deep in the
// list costs what it costs when a client pages there.
import { DriftState } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import type { AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { satelliteName } from "../heartbeat/fleet.js";
import { BIG_GROUP, REGIONS, groupName, type FleetShape } from "./seed.js";

export interface KindFigures {
  kind: string;
  calls: number;
  p50: number;
  p99: number;
  max: number;
}

type Call = () => Promise<unknown>;

const offsetToken = (offset: number) => Buffer.from(`o${offset}`).toString("base64url");
const driftToken = (after: string) => Buffer.from(`d:${after}`).toString("base64url");
const page = (pageToken = "") => ({ pageSize: 100, pageToken });

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The kinds of call measured, each a generator of one random call. */
function callKinds(admin: AdminClients, shape: FleetShape): Record<string, () => Call> {
  const rand = (n: number) => Math.floor(Math.random() * n);
  const region = () => `region-${rand(REGIONS)}`;
  const perRegion = Math.ceil(shape.satellites / REGIONS);
  const bigSize = Math.ceil(shape.satellites / shape.bigEvery);
  const anyName = () => satelliteName(rand(shape.satellites));
  const { fleet, heartbeat } = admin;
  return {
    "satellites:all": () => () => fleet.listSatellites({ page: page(offsetToken(rand(shape.satellites / 100) * 100)) }),
    "satellites:region": () => () =>
      fleet.listSatellites({ region: region(), page: page(offsetToken(rand(perRegion / 100) * 100)) }),
    "satellites:group": () => () => fleet.listSatellites({ group: groupName(rand(shape.groups)), page: page() }),
    "satellites:big-group": () => () =>
      fleet.listSatellites({ group: BIG_GROUP, page: page(offsetToken(rand(bigSize / 100) * 100)) }),
    "drift:all": () => () => heartbeat.listSatelliteDrift({ page: page(driftToken(anyName())) }),
    "drift:region": () => () => heartbeat.listSatelliteDrift({ region: region(), page: page(driftToken(anyName())) }),
    "drift:group": () => () => heartbeat.listSatelliteDrift({ group: groupName(rand(shape.groups)), page: page() }),
    "drift:big-group": () => () =>
      heartbeat.listSatelliteDrift({ group: BIG_GROUP, page: page(driftToken(anyName())) }),
    "drift:prefix": () => () =>
      heartbeat.listSatelliteDrift({ satellitePrefix: `bench-0${String(rand(100)).padStart(2, "0")}`, page: page() }),
    "drift:stale": () => () =>
      heartbeat.listSatelliteDrift({ state: DriftState.STALE, page: page(driftToken(anyName())) }),
    "drift:in-sync": () => () =>
      heartbeat.listSatelliteDrift({ state: DriftState.IN_SYNC, page: page(driftToken(anyName())) }),
  };
}

/** `requests` calls spread evenly over the kinds in random order, after one warm-up call of each. */
export async function measureLists(
  admin: AdminClients,
  shape: FleetShape,
  requests: number,
): Promise<{ kinds: KindFigures[]; all: KindFigures }> {
  const kinds = callKinds(admin, shape);
  const names = Object.keys(kinds);
  for (const name of names) await kinds[name]()();
  const plan = Array.from({ length: requests }, (_, i) => names[i % names.length]).sort(() => Math.random() - 0.5);
  const times = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const name of plan) {
    const call = kinds[name]();
    const started = performance.now();
    await call();
    times.get(name)!.push(performance.now() - started);
  }
  const figures = (kind: string, ms: number[]): KindFigures => ({
    kind,
    calls: ms.length,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: Math.max(...ms),
  });
  return {
    kinds: names.map((n) => figures(n, times.get(n)!)),
    all: figures("all", [...times.values()].flat()),
  };
}
