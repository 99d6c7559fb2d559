// Part (a) of bench/fleet/scale.ts: admin list calls against the real Ground Control, one in
// flight (an operator's console or groundctl paging), pages of 100 at random positions and
// filters, timed at the client from request to decoded response. Random pages are reached with
// the tokens the server would hand out (a keyset cursor: the name to start after, and the total
// a first page counted): the bench mints them, which a client may not, so a page deep in the
// list costs what it costs when a client pages there. First pages (which count the total) are
// kinds of their own.
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
  /** Mean CPU ms per call of Ground Control, PostgreSQL (all its processes) and this client. */
  cpu: { gc: number; pg: number; client: number };
}

/** CPU seconds so far of Ground Control's process and of PostgreSQL's. */
export type CpuReader = () => { gc: number; pg: number };

type Call = () => Promise<unknown>;

// Cursors of the form the server issues (services/fleet, services/heartbeat): the listing and
// its first page's total (0 here: a later page only carries it), then the name to start after.
const satelliteToken = (after: string) => Buffer.from(`s:0:${after}`).toString("base64url");
const driftToken = (after: string) => Buffer.from(`d:0:${after}`).toString("base64url");
const page = (pageToken = "") => ({ pageSize: 100, pageToken });

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The kinds of call measured, each a generator of one random call. */
function callKinds(admin: AdminClients, shape: FleetShape): Record<string, () => Call> {
  const rand = (n: number) => Math.floor(Math.random() * n);
  const region = () => `region-${rand(REGIONS)}`;
  const anyName = () => satelliteName(rand(shape.satellites));
  const { fleet, heartbeat } = admin;
  return {
    "satellites:all": () => () => fleet.listSatellites({ page: page(satelliteToken(anyName())) }),
    "satellites:all-first": () => () => fleet.listSatellites({ page: page() }),
    "satellites:region": () => () => fleet.listSatellites({ region: region(), page: page(satelliteToken(anyName())) }),
    "satellites:group": () => () => fleet.listSatellites({ group: groupName(rand(shape.groups)), page: page() }),
    "satellites:big-group": () => () =>
      fleet.listSatellites({ group: BIG_GROUP, page: page(satelliteToken(anyName())) }),
    "satellites:big-first": () => () => fleet.listSatellites({ group: BIG_GROUP, page: page() }),
    "drift:all": () => () => heartbeat.listSatelliteDrift({ page: page(driftToken(anyName())) }),
    "drift:region": () => () => heartbeat.listSatelliteDrift({ region: region(), page: page(driftToken(anyName())) }),
    "drift:group": () => () => heartbeat.listSatelliteDrift({ group: groupName(rand(shape.groups)), page: page() }),
    "drift:big-group": () => () =>
      heartbeat.listSatelliteDrift({ group: BIG_GROUP, page: page(driftToken(anyName())) }),
    "drift:big-first": () => () => heartbeat.listSatelliteDrift({ group: BIG_GROUP, page: page() }),
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
  cpu: CpuReader,
): Promise<{ kinds: KindFigures[]; all: KindFigures }> {
  const kinds = callKinds(admin, shape);
  const names = Object.keys(kinds);
  for (const name of names) await kinds[name]()();
  const plan = Array.from({ length: requests }, (_, i) => names[i % names.length]).sort(() => Math.random() - 0.5);
  const times = new Map<string, number[]>(names.map((n) => [n, []]));
  // CPU per kind: /proc counts in clock ticks (10 ms), so one call's reading is coarse, but the
  // sum over a kind's calls is what the processes spent on them.
  const spent = new Map(names.map((n) => [n, { gc: 0, pg: 0, client: 0 }]));
  for (const name of plan) {
    const call = kinds[name]();
    const before = { ...cpu(), client: process.cpuUsage() };
    const started = performance.now();
    await call();
    times.get(name)!.push(performance.now() - started);
    const after = cpu();
    const client = process.cpuUsage(before.client);
    const sum = spent.get(name)!;
    sum.gc += (after.gc - before.gc) * 1000;
    sum.pg += (after.pg - before.pg) * 1000;
    sum.client += (client.user + client.system) / 1000;
  }
  const figures = (kind: string, ms: number[], cpuMs: { gc: number; pg: number; client: number }): KindFigures => ({
    kind,
    calls: ms.length,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: Math.max(...ms),
    cpu: { gc: cpuMs.gc / ms.length, pg: cpuMs.pg / ms.length, client: cpuMs.client / ms.length },
  });
  const total = [...spent.values()].reduce((a, b) => ({
    gc: a.gc + b.gc,
    pg: a.pg + b.pg,
    client: a.client + b.client,
  }));
  return {
    kinds: names.map((n) => figures(n, times.get(n)!, spent.get(n)!)),
    all: figures("all", [...times.values()].flat(), total),
  };
}
