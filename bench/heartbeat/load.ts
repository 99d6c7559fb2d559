// The load generator, run as its own process by run.ts: N simulated satellites send Sync over a
// few multiplexed HTTP/2 connections, each with its robot's Basic credentials. Open loop by
// default (a fixed rate; latency counts from when a call was due, so a stalled server cannot hide
// its queueing), or closed loop with --rate 0 (--concurrency calls always in flight). Prints
// MEASURE_START / MEASURE_END when the measured window opens and closes, then one JSON line.
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { H1Pool } from "./h1-client.js";
import { H2Pool, type Protocol, type UnaryResult } from "./h2-client.js";
import { satelliteName } from "./fleet.js";

const SYNC_PATH = "/harbor.satellite.heartbeat.v1.HeartbeatService/Sync";

export interface LoadResult {
  mode: "open" | "closed";
  target_rate: number;
  measured_s: number;
  ok: number;
  errors: number;
  error_codes: Record<string, number>;
  /** Calls that were due but not sent because --max-in-flight calls were outstanding. */
  late: number;
  heartbeats_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
}

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    satellites: { type: "string", default: "1000" },
    secret: { type: "string" },
    rate: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "256" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    connections: { type: "string", default: "4" },
    protocol: { type: "string", default: "connect" },
    images: { type: "string", default: "5" },
    "max-in-flight": { type: "string", default: "20000" },
  },
});

const satellites = Number(args.satellites);
const rate = Number(args.rate);
const durationMs = Number(args.duration) * 1000;
const warmupMs = Number(args.warmup) * 1000;
const maxInFlight = Number(args["max-in-flight"]);
// connect-h1: HTTP/1.1 keep-alive connections, as satellites send heartbeats.
// With a connection per satellite (or more), each satellite keeps its own, as a fleet does.
const h1 =
  args.protocol === "connect-h1"
    ? new H1Pool(args.url!, Number(args.connections), Number(args.connections) >= satellites)
    : undefined;
const h2 = h1 ? undefined : new H2Pool(args.url!, Number(args.connections), args.protocol as Protocol);

/** One satellite's request, encoded once; the report time is appended per call. */
interface Sender {
  /** The satellite's index: its connection when each has its own. */
  index: number;
  authorization: string;
  body: Buffer;
  /** HTTP/1.1: its request line and headers, encoded once. */
  head?: Buffer;
}

/** One heartbeat of `sender`, stamped with the time it is sent. */
function callOnce(sender: Sender): Promise<UnaryResult> {
  const body = withReportTime(sender.body);
  return h1 ? h1.call(sender.head!, body, sender.index) : h2!.call(SYNC_PATH, sender.authorization, body);
}

function buildSenders(): Sender[] {
  const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
  const senders: Sender[] = [];
  for (let i = 0; i < satellites; i++) {
    const name = satelliteName(i);
    const request = create(SyncRequestSchema, {
      satellite: name,
      stateReportInterval: "@every 00h00m30s",
      latestStateDigest: digest(i),
      latestConfigDigest: digest(i + 1),
      memoryUsedBytes: BigInt(512 * 1024 * 1024 + i),
      storageUsedBytes: BigInt(20 * 1024 ** 3 + i),
      cpuPercent: (i % 100) + 0.5,
      lastSyncDurationMs: 1200n,
      imageCount: Number(args.images),
      cachedImages: Array.from({ length: Number(args.images) }, (_, k) => ({
        reference: `registry.local/library/app-${k}:1.${k}@${digest(k)}`,
        sizeBytes: BigInt(50_000_000 + k),
      })),
    });
    const authorization = `Basic ${Buffer.from(`robot$${name}:${args.secret}`).toString("base64")}`;
    senders.push({
      index: i,
      authorization,
      body: Buffer.from(toBinary(SyncRequestSchema, request)),
      head: h1?.head(SYNC_PATH, authorization),
    });
  }
  return senders;
}

/**
 * Field 9 (request_create_time, a google.protobuf.Timestamp), appended: protobuf allows fields in
 * any order. Encoded by hand into one buffer: seconds (field 1) and nanos (field 2) as varints.
 */
function withReportTime(body: Buffer): Buffer {
  const ms = Date.now();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms % 1000) * 1_000_000;
  const tsLength = 1 + varintLength(seconds) + (nanos ? 1 + varintLength(nanos) : 0);
  const out = Buffer.allocUnsafe(body.length + 2 + tsLength);
  body.copy(out, 0);
  let at = body.length;
  out[at++] = 0x4a;
  out[at++] = tsLength;
  out[at++] = 0x08;
  at = writeVarint(out, at, seconds);
  if (nanos) {
    out[at++] = 0x10;
    writeVarint(out, at, nanos);
  }
  return out;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

const senders = buildSenders();
const latencies: number[] = [];
const errorCodes: Record<string, number> = {};
let ok = 0;
let errors = 0;
let late = 0;
let inFlight = 0;
let next = 0;

function send(dueAt: number, measureFrom: number, measureTo: number): Promise<void> {
  const sender = senders[next++ % senders.length];
  inFlight++;
  return callOnce(sender).then((result) => {
    inFlight--;
    if (dueAt < measureFrom || dueAt >= measureTo) return;
    latencies.push(performance.now() - dueAt);
    if (result.ok) ok++;
    else {
      errors++;
      errorCodes[result.code ?? "unknown"] = (errorCodes[result.code ?? "unknown"] ?? 0) + 1;
    }
  });
}

async function openLoop(start: number, measureFrom: number, end: number): Promise<void> {
  const interval = 1000 / rate;
  let due = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now();
      const target = Math.min(Math.floor((now - start) / interval), Math.floor((end - start) / interval));
      while (due < target) {
        const dueAt = start + due * interval;
        due++;
        if (inFlight >= maxInFlight) {
          if (dueAt >= measureFrom) late++;
          continue;
        }
        void send(dueAt, measureFrom, end);
      }
      if (now >= end) resolve();
      else setTimeout(pump, 1);
    };
    pump();
  });
}

async function closedLoop(measureFrom: number, end: number): Promise<void> {
  const worker = async () => {
    while (performance.now() < end) await send(performance.now(), measureFrom, end);
  };
  await Promise.all(Array.from({ length: Number(args.concurrency) }, worker));
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One heartbeat per satellite before the clock starts, a few at a time: the gateway verifies
 * each robot credential once (a database read and a scrypt) and then caches it, so the timed
 * phases see the steady state of a fleet that is already heartbeating.
 */
async function prime(): Promise<void> {
  const started = performance.now();
  let index = 0;
  let failed = 0;
  const worker = async () => {
    while (index < senders.length) {
      const sender = senders[index++];
      const result = await callOnce(sender);
      if (!result.ok) failed++;
    }
  };
  // As many at once as there are connections, so every connection is open before the clock starts.
  await Promise.all(Array.from({ length: Math.max(32, Number(args.connections)) }, worker));
  process.stdout.write(`PRIMED ${senders.length} ${Math.round(performance.now() - started)} ${failed}\n`);
}

async function main(): Promise<void> {
  await prime();
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  setTimeout(() => process.stdout.write("MEASURE_START\n"), warmupMs);
  setTimeout(() => process.stdout.write("MEASURE_END\n"), warmupMs + durationMs);
  if (rate > 0) await openLoop(start, measureFrom, end);
  else await closedLoop(measureFrom, end);
  const drainUntil = performance.now() + 15_000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  h1?.close();
  h2?.close();
  const sorted = Float64Array.from(latencies).sort();
  const round = (n: number) => Math.round(n * 100) / 100;
  const result: LoadResult = {
    mode: rate > 0 ? "open" : "closed",
    target_rate: rate,
    measured_s: durationMs / 1000,
    ok,
    errors,
    error_codes: errorCodes,
    late,
    heartbeats_per_s: round(ok / (durationMs / 1000)),
    p50_ms: round(percentile(sorted, 50)),
    p90_ms: round(percentile(sorted, 90)),
    p99_ms: round(percentile(sorted, 99)),
    p999_ms: round(percentile(sorted, 99.9)),
    max_ms: round(sorted.length ? sorted[sorted.length - 1] : Number.NaN),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

await main();
