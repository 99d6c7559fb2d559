// Benchmark: Ground Control at fleet scale, on durable PostgreSQL 15 (the test kit's server with
// fsync, synchronous_commit and full_page_writes back on). Seeds 100,000 satellites in 1,000
// groups straight into the database (seed.ts), starts the real Ground Control process (all
// services, one port) against it and the Harbor emulator, then:
//   (a) list-latency.ts — ListSatellites and ListSatelliteDrift pages of 100 at random
//       positions and filters, one in flight; goal p99 < 50 ms;
//   (c) heartbeat-growth.ts — one heartbeat per satellite and a few seconds of closed loop
//       through the real heartbeat path; bytes per heartbeat row, and the retention job's rate;
//       projected to 150,000 satellites every 30 s;
//   (a) again, now that the heartbeating satellites have a latest heartbeat (the drift view reads it);
//   (b) republish.ts — the group on 10,000 satellites changes, twice (the first publishes their
//       states for the first time); goal: every state republished and served ≤ 30 s.
// Run: npx tsx bench/fleet/scale.ts [--satellites 100000] [--groups 1000] [--big-every 10]
//        [--requests 500] [--heartbeat-seconds 10] [--heartbeat-satellites 20000] [--no-durable]
//        [--explain] [--parts a,b,c]
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { openDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { adminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import type { RunningProcess } from "@harbor-satellite/testkit/processes";
import { HARBOR, startGroundControlProcess } from "../../tests/e2e/ground-control-process.js";
import { postgresCpuSeconds, postmasterPid, processTreeCpuSeconds } from "../heartbeat/cpu.js";
import { measureHeartbeatGrowth } from "./heartbeat-growth.js";
import { explainLists } from "./explain.js";
import { measureLists, type KindFigures } from "./list-latency.js";
import { changeBigGroup } from "./republish.js";
import { seedScaleFleet, type FleetShape } from "./seed.js";

const { values: args } = parseArgs({
  options: {
    satellites: { type: "string", default: "100000" },
    groups: { type: "string", default: "1000" },
    "big-every": { type: "string", default: "10" },
    requests: { type: "string", default: "500" },
    "heartbeat-seconds": { type: "string", default: "10" },
    // The first N satellites heartbeat (priming sends one each, at the gateway's rate).
    "heartbeat-satellites": { type: "string", default: "20000" },
    "no-durable": { type: "boolean", default: false },
    explain: { type: "boolean", default: false },
    parts: { type: "string", default: "a,b,c" },
  },
});
const shape: FleetShape = {
  satellites: Number(args.satellites),
  groups: Number(args.groups),
  bigEvery: Number(args["big-every"]),
};
const parts = new Set(args.parts!.split(","));
const FLEET_AT_SCALE = 150_000;
const HEARTBEATS_PER_DAY = (24 * 3600) / 30;

const log = (line: string) => process.stdout.write(`# ${line}\n`);
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const loadAverage = async () => (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join("/");

function printLists(title: string, figures: { kinds: KindFigures[]; all: KindFigures }): void {
  log(
    `${title}: p50 / p99 / max ms over ${figures.all.calls} calls; CPU ms per call: Ground Control / PostgreSQL / client`,
  );
  for (const k of [...figures.kinds, figures.all])
    log(
      `  ${k.kind.padEnd(22)} ${fmt(k.p50)} / ${fmt(k.p99)} / ${fmt(k.max)} (${k.calls} calls); CPU ${fmt(k.cpu.gc)} / ${fmt(k.cpu.pg)} / ${fmt(k.cpu.client)}`,
    );
}

async function setDurability(handle: DatabaseHandle, durable: boolean): Promise<void> {
  const value = durable ? "on" : "off";
  for (const setting of ["fsync", "synchronous_commit", "full_page_writes"])
    await handle.db.execute(sql.raw(`alter system set ${setting} = ${value}`));
  await handle.db.execute(sql`select pg_reload_conf()`);
}

let pg: PostgresServer | undefined;
let handle: DatabaseHandle | undefined;
let upstream: DockerRegistry | undefined;
let harbor: HarborEmulator | undefined;
let gc: RunningProcess | undefined;
try {
  const loadBefore = await loadAverage();
  const secret = randomBytes(16).toString("hex");
  const adminPassword = randomBytes(12).toString("hex");
  pg = await startPostgres();
  const databaseUrl = await pg.createDatabase("fleet_scale");
  handle = await openDatabase({ url: databaseUrl, maxConnections: 2 });
  await setDurability(handle, !args["no-durable"]);
  const db = handle.db;
  const seedStart = performance.now();
  await seedScaleFleet(db, shape, secret);
  log(
    `seeded ${shape.satellites} satellites in ${shape.groups} groups (+ fleet-wide on every ${shape.bigEvery}th) in ${fmt((performance.now() - seedStart) / 1000)} s; postgres ${args["no-durable"] ? "fsync off" : "durable"}; load average ${loadBefore}`,
  );

  upstream = await startDockerRegistry();
  harbor = await startHarborEmulator({
    adminUser: HARBOR.username,
    adminPassword: HARBOR.password,
    upstream: { url: upstream.url },
  });
  // BENCH_GC_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles Ground Control.
  const nodeOptions = process.env.BENCH_GC_NODE_OPTIONS;
  const started = await startGroundControlProcess({
    harborUrl: harbor.url,
    adminPassword,
    databaseUrl,
    env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {},
  });
  gc = started.gc;
  const admin = await adminClients(started.url, adminPassword);

  const requests = Number(args.requests);
  const postmaster = postmasterPid(pg.dataDir);
  const gcPid = gc.proc.pid!;
  const cpu = () => ({ gc: processTreeCpuSeconds(gcPid), pg: postgresCpuSeconds(postmaster) });
  const summary: string[] = [];
  const worst = (f: { kinds: KindFigures[] }) => f.kinds.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  if (parts.has("a")) {
    const cold = await measureLists(admin, shape, requests, cpu);
    printLists("(a) lists, no heartbeats yet", cold);
    summary.push(`list_p99_no_heartbeats_ms=${fmt(cold.all.p99)}`);
  }
  if (parts.has("c")) {
    const growth = await measureHeartbeatGrowth(
      {
        db,
        gcUrl: started.url,
        satellites: Math.min(shape.satellites, Number(args["heartbeat-satellites"])),
        secret,
        seconds: Number(args["heartbeat-seconds"]),
      },
      log,
    );
    const perDayGb = (FLEET_AT_SCALE * HEARTBEATS_PER_DAY * growth.bytesPerRow) / 1e9;
    log(
      `(c) ${fmt(growth.bytesPerRow, 0)} bytes per heartbeat row (table + TOAST + indexes), ${fmt(growth.sendPerS, 0)} rows/s ingested; ${FLEET_AT_SCALE} satellites every 30 s: ${fmt(perDayGb)} GB/day, ${fmt(perDayGb * 7)} GB kept at the default 7-day retention, ${fmt(perDayGb / 24)} GB at 1 hour; retention deletes ${fmt(growth.deletePerS, 0)} rows/s against ${fmt((FLEET_AT_SCALE * 2) / 60, 0)} rows/s arriving`,
    );
    summary.push(
      `heartbeat_row_bytes=${fmt(growth.bytesPerRow, 0)}`,
      `heartbeat_gb_per_day_150k=${fmt(perDayGb)}`,
      `heartbeat_gb_7d_150k=${fmt(perDayGb * 7)}`,
      `retention_delete_rows_per_s=${fmt(growth.deletePerS, 0)}`,
    );
  }
  if (args.explain) for (const line of await explainLists(databaseUrl, shape)) log(line);
  if (parts.has("a")) {
    const lists = await measureLists(admin, shape, requests, cpu);
    printLists(`(a) lists${parts.has("c") ? ", after the heartbeats" : ""}`, lists);
    summary.unshift(
      `list_p99_ms=${fmt(lists.all.p99)}`,
      `list_p50_ms=${fmt(lists.all.p50)}`,
      `list_worst_kind=${worst(lists).kind}`,
      `list_worst_p99_ms=${fmt(worst(lists).p99)}`,
    );
  }
  if (parts.has("b")) {
    const common = {
      db,
      admin,
      gcUrl: started.url,
      secret,
      shape,
      gcPid: gc.proc.pid!,
      postmasterPid: postmasterPid(pg.dataDir),
    };
    const first = await changeBigGroup({ ...common, version: 2 }, log);
    log(
      `(b) first publish of ${first.affected} satellite states: sample served new in ${fmt(first.sampleSeenS)} s, outbox drained in ${fmt(first.drainedS)} s (${fmt(first.statesPerS, 0)} states/s; CPU per state ${fmt(first.gcCpuMsPerState, 2)} ms Ground Control, ${fmt(first.pgCpuMsPerState, 2)} ms PostgreSQL), ${first.rewritten} rows written`,
    );
    const change = await changeBigGroup({ ...common, version: 3 }, log);
    log(
      `(b) group change on ${change.affected} satellites: sample served new in ${fmt(change.sampleSeenS)} s, outbox drained in ${fmt(change.drainedS)} s (${fmt(change.statesPerS, 0)} states/s; CPU per state ${fmt(change.gcCpuMsPerState, 2)} ms Ground Control, ${fmt(change.pgCpuMsPerState, 2)} ms PostgreSQL), ${change.rewritten} rows rewritten`,
    );
    if (change.rewritten !== change.affected)
      throw new Error(`only ${change.rewritten} of ${change.affected} satellite states were rewritten`);
    summary.push(
      `republish_s=${fmt(change.drainedS)}`,
      `republish_sample_seen_s=${fmt(change.sampleSeenS)}`,
      `republished=${change.affected}`,
      `first_publish_s=${fmt(first.drainedS)}`,
      `states_per_s=${fmt(change.statesPerS, 0)}`,
      `gc_cpu_ms_per_state=${fmt(change.gcCpuMsPerState, 2)}`,
      `pg_cpu_ms_per_state=${fmt(change.pgCpuMsPerState, 2)}`,
    );
  }
  summary.push(`satellites=${shape.satellites}`, `load_avg=${loadBefore},${await loadAverage()}`);
  console.log(summary.join(" "));
} finally {
  await gc?.stop();
  await harbor?.stop();
  await upstream?.stop();
  await handle?.close();
  await pg?.stop();
}
