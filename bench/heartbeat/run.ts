// bench/heartbeat: N simulated satellites heartbeat through Ground Control's gateway against a
// real PostgreSQL 15, each process separate (PostgreSQL, Ground Control, load generator) on the
// same machine. Prints throughput, latency percentiles, batch sizes and the CPU split; the last
// line is `heartbeats_per_s=… p99_ms=… p50_ms=… errors=…` (heartbeats/s: acknowledged calls that were
// due in the window, or the rows PostgreSQL committed during it if fewer).
//
//   npx tsx bench/heartbeat/run.ts [--satellites 5000] [--rate 5000 | --rate 0 --concurrency 256]
//     [--duration 20] [--warmup 5] [--connections 4] [--protocol connect|grpc] [--images 5]
//     [--no-durable] [--metrics on|off|ab [--rounds 3] [--scrape-interval 15]]
//
// --metrics ab measures what Ground Control's metrics cost: alternating runs with metrics on and
// with --no-metrics, --rounds of each, a fresh Ground Control per run, and what one scrape costs
// (measured after each metrics-on run; --scrape-interval N also scrapes every N s during the
// measured window); the last line is then the A/B's (metrics-ab.ts).
//
// Ground Control runs as its image runs it: the bundle (built first), with the image's node flags.
// BENCH_GATEWAY_NODE_FLAGS / BENCH_LOAD_NODE_FLAGS pass node flags (e.g. --cpu-prof) to the
// two children. PostgreSQL runs durable by default (fsync and synchronous_commit on, unlike the test kit's
// defaults), since Sync acknowledges only committed heartbeats.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { openDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { freePort, startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { cpuSeconds, processTreeCpuSeconds, machineCpuSeconds, postgresCpuSeconds, postmasterPid } from "./cpu.js";
import { useShippedBundle } from "../shipped-bundle.js";
import { seedFleet } from "./fleet.js";
import type { LoadResult } from "./load.js";
import {
  abSummary,
  measureScrapeCost,
  startScraping,
  type RunFigures,
  type ScrapeCost,
  type Variant,
} from "./metrics-ab.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const { values: args } = parseArgs({
  options: {
    satellites: { type: "string", default: "5000" },
    rate: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "256" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    connections: { type: "string", default: "4" },
    protocol: { type: "string", default: "connect" },
    images: { type: "string", default: "5" },
    "no-durable": { type: "boolean", default: false },
    workers: { type: "string", default: "1" },
    metrics: { type: "string", default: "on" },
    rounds: { type: "string", default: "3" },
    "scrape-interval": { type: "string", default: "0" },
  },
});
if (!["on", "off", "ab"].includes(args.metrics!))
  throw new Error(`--metrics must be on, off or ab, got ${args.metrics}`);

interface CpuSample {
  at: number;
  gateway: number;
  load: number;
  postgres: number;
  machine: { busy: number; total: number };
}

const children: ChildProcess[] = [];

/**
 * Node flags Ground Control's image starts it with (docker/Dockerfile's ENTRYPOINT), so the bench
 * measures it as shipped; BENCH_GATEWAY_NODE_FLAGS come after and win (e.g. --max-semi-space-size=16
 * for V8's default).
 */
const GATEWAY_IMAGE_NODE_FLAGS = ["--max-semi-space-size=64", "--no-allocation-site-pretenuring"];
/** The load generator's young generation too: it allocates a request's buffers and promises per call. */
const LOAD_NODE_FLAGS = ["--max-semi-space-size=64"];

async function main(): Promise<void> {
  await useShippedBundle();
  const satellites = Number(args.satellites);
  const secret = randomBytes(16).toString("hex");
  let pg: PostgresServer | undefined;
  let db: DatabaseHandle | undefined;
  try {
    pg = await startPostgres();
    const durable = !args["no-durable"];
    const url = await pg.createDatabase("heartbeat_bench");
    db = await openDatabase({ url, maxConnections: 2 });
    await setDurability(db, durable);
    await seedFleet(db.db, satellites, secret);
    log(
      `postgres 15 on :${pg.port} (${durable ? "fsync + synchronous_commit on" : "fsync off"}), ${satellites} satellites with robot accounts`,
    );

    const postmaster = postmasterPid(pg.dataDir);
    const ab = args.metrics === "ab";
    const runs: Record<Variant, RunFigures[]> = { on: [], off: [] };
    const scrapeCosts: ScrapeCost[] = [];
    let last: RunFigures | undefined;
    for (let round = 0; round < (ab ? Number(args.rounds) : 1); round++) {
      // Alternate which goes first, so neither always runs on a warmer (or more tired) machine.
      const order: Variant[] = ab ? (round % 2 === 0 ? ["on", "off"] : ["off", "on"]) : [args.metrics as Variant];
      for (const variant of order) {
        const port = await freePort();
        const gateway = await startGateway(url, port, variant === "off" ? ["--no-metrics"] : []);
        log(
          `ground control (all services, gateway) on :${port}, pid ${gateway.pid}, metrics ${variant}${ab ? ` (round ${round + 1})` : ""}`,
        );
        const scraper =
          variant === "on" && Number(args["scrape-interval"]) > 0
            ? startScraping(`http://127.0.0.1:${port}/metrics`, Number(args["scrape-interval"]))
            : undefined;
        const { result, start, end } = await runLoad(
          `http://127.0.0.1:${port}`,
          satellites,
          secret,
          gateway.pid!,
          postmaster,
        );
        const scraped = scraper?.stop();
        if (scraped)
          log(`/metrics scraped ${scraped.scrapes} times (${scraped.failures} failed), last ${scraped.bytes} bytes`);
        const batches = await batchStats(db, start.at, end.at);
        last = report(result, start, end, batches);
        runs[variant].push(last);
        if (ab && variant === "on") {
          const cost = await measureScrapeCost(`http://127.0.0.1:${port}/metrics`, gateway.pid!);
          log(
            `one scrape: ${cost.firstMs} ms of gateway CPU computing the fleet-wide gauges, ${cost.cachedMs} ms from their caches, ${cost.bytes} bytes`,
          );
          scrapeCosts.push(cost);
        }
        await stop(gateway);
        children.splice(children.indexOf(gateway), 1);
      }
    }
    if (ab) for (const line of abSummary(runs, scrapeCosts, satellites)) process.stdout.write(`${line}\n`);
    else if (last)
      process.stdout.write(
        `heartbeats_per_s=${last.heartbeatsPerS} p99_ms=${last.p99Ms} p50_ms=${last.p50Ms} errors=${last.errors}\n`,
      );
  } finally {
    for (const child of children) await stop(child);
    await db?.close();
    await pg?.stop();
  }
}

async function setDurability(db: DatabaseHandle, durable: boolean): Promise<void> {
  const value = durable ? "on" : "off";
  await db.db.execute(sql.raw(`alter system set fsync = ${value}`));
  await db.db.execute(sql.raw(`alter system set synchronous_commit = ${value}`));
  await db.db.execute(sql.raw(`alter system set full_page_writes = ${value}`));
  await db.db.execute(sql`select pg_reload_conf()`);
}

async function startGateway(databaseUrl: string, port: number, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...GATEWAY_IMAGE_NODE_FLAGS,
      ...nodeFlags("BENCH_GATEWAY_NODE_FLAGS"),
      `${ROOT}/bin/ground-control.mjs`,
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--workers",
      args.workers!,
      ...extraArgs,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ADMIN_PASSWORD: randomBytes(12).toString("hex"),
        LOG_LEVEL: "warn",
        HARBOR_URL: "",
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  children.push(child);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ground control exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("ground control did not become healthy within 60 s");
}

function sample(gatewayPid: number, loadPid: number, postmaster: number): CpuSample {
  return {
    at: Date.now(),
    gateway: processTreeCpuSeconds(gatewayPid),
    load: cpuSeconds(loadPid),
    postgres: postgresCpuSeconds(postmaster),
    machine: machineCpuSeconds(),
  };
}

async function runLoad(
  url: string,
  satellites: number,
  secret: string,
  gatewayPid: number,
  postmaster: number,
): Promise<{ result: LoadResult; start: CpuSample; end: CpuSample }> {
  const child = spawn(
    process.execPath,
    [
      ...LOAD_NODE_FLAGS,
      ...nodeFlags("BENCH_LOAD_NODE_FLAGS"),
      "--import",
      "tsx",
      `${ROOT}/bench/heartbeat/load.ts`,
      "--url",
      url,
      "--satellites",
      String(satellites),
      "--secret",
      secret,
      "--rate",
      args.rate!,
      "--concurrency",
      args.concurrency!,
      "--duration",
      args.duration!,
      "--warmup",
      args.warmup!,
      "--connections",
      args.connections!,
      "--protocol",
      args.protocol!,
      "--images",
      args.images!,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  log(
    `load generator pid ${child.pid}: ${Number(args.rate) > 0 ? `${args.rate}/s open loop` : `closed loop, ${args.concurrency} in flight`}, ${connectionsLabel()}, ${args.protocol}, warm-up ${args.warmup} s, measured ${args.duration} s`,
  );
  let start: CpuSample | undefined;
  let end: CpuSample | undefined;
  let result: LoadResult | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line === "MEASURE_START") start = sample(gatewayPid, child.pid!, postmaster);
    else if (line === "MEASURE_END") end = sample(gatewayPid, child.pid!, postmaster);
    else if (line.startsWith("PRIMED ")) {
      const [, n, ms, failed] = line.split(" ");
      log(
        `primed: one heartbeat from each of ${n} satellites in ${(Number(ms) / 1000).toFixed(1)} s (${failed} failed); warm-up starts`,
      );
    } else if (line.startsWith("{")) result = JSON.parse(line) as LoadResult;
  }
  if (!result || !start || !end) throw new Error("the load generator ended without a result");
  return { result, start, end };
}

function connectionsLabel(): string {
  if (args.protocol !== "connect-h1") return `${args.connections} HTTP/2 connections`;
  return Number(args.connections) >= Number(args.satellites)
    ? `${args.connections} HTTP/1.1 connections, one per satellite, each from its own loopback address`
    : `${args.connections} HTTP/1.1 connections shared by ${args.satellites} satellites`;
}

interface BatchStats {
  rows: number;
  batches: number;
  mean: number;
  max: number;
}

/** Batch sizes from the rows themselves: one batch shares one received_at. */
async function batchStats(db: DatabaseHandle, from: number, to: number): Promise<BatchStats> {
  const rows = (await db.db.execute(sql`
    select coalesce(sum(n), 0)::int as rows, count(*)::int as batches, coalesce(max(n), 0)::int as max
    from (select count(*) as n from heartbeats where received_at >= ${new Date(from).toISOString()}::timestamptz and received_at < ${new Date(to).toISOString()}::timestamptz group by received_at) b`)) as unknown as {
    rows: number;
    batches: number;
    max: number;
  }[];
  const { rows: n, batches, max } = rows[0];
  return { rows: n, batches, max, mean: batches ? Math.round((n / batches) * 10) / 10 : 0 };
}

function report(r: LoadResult, start: CpuSample, end: CpuSample, batches: BatchStats): RunFigures {
  const wall = (end.at - start.at) / 1000;
  const share = (a: number, b: number) => `${(((b - a) / wall) * 100).toFixed(0)}%`;
  const machine = end.machine.total - start.machine.total;
  // Committed in the window, counted by PostgreSQL: under overload the client's count of calls
  // due in the window completes late, while this stays the server's real throughput.
  const committed = Math.round((batches.rows / wall) * 10) / 10;
  log(
    `measured ${r.measured_s} s: ${r.ok} ok, ${r.errors} errors ${JSON.stringify(r.error_codes)}, ${r.late} not sent (too many in flight); ${committed} heartbeats/s committed during the window`,
  );
  log(`latency ms: p50 ${r.p50_ms}  p90 ${r.p90_ms}  p99 ${r.p99_ms}  p99.9 ${r.p999_ms}  max ${r.max_ms}`);
  log(`batches: ${batches.batches} for ${batches.rows} heartbeats, mean ${batches.mean} rows, largest ${batches.max}`);
  log(
    `cpu (of one core): gateway ${share(start.gateway, end.gateway)}, postgres ${share(start.postgres, end.postgres)}, load generator ${share(start.load, end.load)}; other processes ${(((end.machine.busy - start.machine.busy) / wall - (end.gateway - start.gateway + end.postgres - start.postgres + end.load - start.load) / wall) * 100).toFixed(0)}%; machine busy ${(((end.machine.busy - start.machine.busy) / machine) * 100).toFixed(0)}% of ${Math.round(machine / wall)} cores`,
  );
  // CPU time per heartbeat holds up better than rates on a shared machine: it projects what the
  // same code would do with both cores to itself.
  const per = (a: number, b: number) => Math.round(((b - a) * 1e6) / Math.max(1, batches.rows));
  const gatewayUs = per(start.gateway, end.gateway);
  const postgresUs = per(start.postgres, end.postgres);
  const loadUs = per(start.load, end.load);
  log(
    `cpu per heartbeat: gateway ${gatewayUs} µs, postgres ${postgresUs} µs, load generator ${loadUs} µs → with 2 idle cores at most ~${Math.round(2e6 / (gatewayUs + postgresUs + loadUs))}/s; the gateway's one event loop caps it at ~${Math.round(1e6 / gatewayUs)}/s`,
  );
  return {
    gatewayUs,
    postgresUs,
    loadUs,
    heartbeatsPerS: Math.min(r.heartbeats_per_s, committed),
    p50Ms: r.p50_ms,
    p99Ms: r.p99_ms,
    errors: r.errors,
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const exited = new Promise((r) => child.once("exit", r));
  const timeout = new Promise((r) => setTimeout(r, 10_000).unref());
  if ((await Promise.race([exited.then(() => "exited"), timeout])) !== "exited") child.kill("SIGKILL");
}

/** Extra node flags for a child, e.g. BENCH_GATEWAY_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
function nodeFlags(variable: string): string[] {
  return (process.env[variable] ?? "").split(" ").filter(Boolean);
}

function log(line: string): void {
  process.stdout.write(`# ${line}\n`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // Stopping the children makes main() fail, and its finally stops PostgreSQL.
  process.once(signal, () => {
    process.exitCode = 130;
    for (const child of children) child.kill("SIGKILL");
  });
}

await main();
