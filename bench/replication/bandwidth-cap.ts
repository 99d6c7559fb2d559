// Benchmark: the satellite-wide bandwidth cap (issue 13, app_config.sync_policy.max_bytes_per_second).
// One image of gzip layers (random bytes, tar+gzip) on a real docker-registry, replicated by the
// replication engine in this process (worker threads and all) through a counting proxy:
//   1. capped at --cap MB/s: from the first layer bytes, every 5 s, the bytes the satellite read
//      from its sockets (the gate's count: what the cap paces) and the bytes the proxy wrote (the
//      wire); each full interval's average is compared with the cap (goal: within ±5 % in every
//      full interval, on what the satellite read and on the wire). Capped copies fetch bounded
//      Range requests reserved on the bucket before they are sent, so the kernel's receive buffers
//      (which loopback autotunes up to net.ipv4.tcp_rmem's maximum) cannot run ahead of the cap;
//   2. A/B in the same run, alternating: the engine with a sync gate but no cap, against the engine
//      without a gate (the code path before caps); goal: unchanged throughput (ratio ≈ 1).
// Also a micro-measure of the two ways a cap can be shared by the worker threads: one Atomics
// compare-and-swap on a SharedArrayBuffer per socket read (what the workers do), against asking
// the main thread for a byte budget (a message round trip per grant).
// Run: npx tsx bench/replication/bandwidth-cap.ts [--cap 20] [--mb 200] [--layers 4] [--rounds 3] [--capped-runs 2]
// Last line: key=value figures.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import pino from "pino";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { createGateBuffer, gateView } from "../../services/satellite/src/replication/bandwidth-gate.mjs";
import { createReplicationEngine } from "../../services/satellite/src/replication/replication-engine.js";
import { createSyncGate, NO_SYNC_POLICY, type SyncGate } from "../../services/satellite/src/replication/sync-gate.js";
import { openContentStore } from "../../services/satellite/src/store/open-store.js";
import { flushDisk, fmt, median, startCountingProxy, type CountingProxy } from "./harness.js";

const { values } = parseArgs({
  options: {
    cap: { type: "string", default: "20" },
    mb: { type: "string", default: "200" },
    layers: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    "capped-runs": { type: "string", default: "2" },
  },
});
const capBytes = Number(values.cap) * 1_000_000;
const totalBytes = Number(values.mb) * 1_000_000;
const layers = Number(values.layers);
const rounds = Number(values.rounds);
const INTERVAL_MS = 5_000;
const logger = pino({ level: "warn" });

/** One replication of the image into a fresh store; returns wall seconds. */
async function replicateOnce(upstreamUrl: string, image: string, gate: SyncGate | undefined) {
  const root = await mkdtemp(join(tmpdir(), "bench-cap-"));
  const store = await openContentStore({ root, logger });
  const engine = createReplicationEngine({ store, logger, gate });
  const [repository, tag] = image.split(":");
  try {
    await flushDisk();
    const started = performance.now();
    const summary = await engine.replicate({ upstream: { url: upstreamUrl }, images: [{ repository, tag }] });
    const seconds = (performance.now() - started) / 1000;
    if (summary.failed.length > 0) throw new Error(`replication failed: ${summary.failed[0].error?.message}`);
    return seconds;
  } finally {
    await engine.close();
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Per 5-s interval from the first layer bytes: what the satellite read (paced by the cap) and what the wire carried. */
async function cappedRun(proxy: CountingProxy, image: string) {
  const gate = createSyncGate({ ...NO_SYNC_POLICY, max_bytes_per_second: capBytes });
  const read = gateView(gate.buffer);
  proxy.reset();
  const samples: { at: number; read: number; wire: number }[] = [];
  const sample = () => samples.push({ at: performance.now(), read: read.taken(), wire: proxy.bytes });
  let sampler: NodeJS.Timeout | undefined;
  const watcher = setInterval(() => {
    if (read.taken() < 1 << 20 || sampler) return;
    sample();
    sampler = setInterval(sample, INTERVAL_MS);
  }, 5);
  const seconds = await replicateOnce(proxy.url, image, gate);
  clearInterval(watcher);
  clearInterval(sampler);
  gate.close();
  const rate = (key: "read" | "wire") =>
    samples.slice(1).map((s, i) => ((s[key] - samples[i][key]) / (s.at - samples[i].at)) * 1000);
  const last = samples[samples.length - 1];
  const tailSeconds = (performance.now() - last.at) / 1000;
  return {
    seconds,
    read: rate("read"),
    wire: rate("wire"),
    tail: { mb: (read.taken() - last.read) / 1e6, seconds: tailSeconds },
  };
}

/** ns per take() on the shared bucket, and µs per grant asked of another thread. */
async function sharingCosts() {
  const view = gateView(createGateBuffer());
  view.setRate(20_000_000);
  const n = 1_000_000;
  let started = performance.now();
  for (let i = 0; i < n; i++) view.take(16);
  const takeNs = ((performance.now() - started) * 1e6) / n;
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));",
    {
      eval: true,
    },
  );
  const grants = 5_000;
  const ask = () => new Promise((resolve) => (worker.once("message", resolve), worker.postMessage(262_144)));
  for (let i = 0; i < 100; i++) await ask();
  started = performance.now();
  for (let i = 0; i < grants; i++) await ask();
  const grantUs = ((performance.now() - started) * 1e3) / grants;
  await worker.terminate();
  return { takeNs, grantUs };
}

const upstream = await startDockerRegistry();
const proxy = await startCountingProxy(upstream.url);
const blobDir = await makeBlobDir();
const summary: string[] = [];
try {
  const built = await buildImage({
    layerSizes: Array.from({ length: layers }, () => Math.round(totalBytes / layers)),
    dir: blobDir,
    gzip: true,
  });
  const image = "bench/capped:v1";
  await pushImage(upstream.url, "bench/capped", "v1", built);
  const mb = (built.layers.reduce((n, l) => n + l.size, 0) + built.config.size) / 1e6;
  console.log(`# ${layers} gzip layers, ${fmt(mb, 1)} MB; cap ${fmt(capBytes / 1e6, 1)} MB/s; ${rounds} A/B rounds`);

  const dev = (r: number) => ((r - capBytes) / capBytes) * 100;
  const reads: number[] = [];
  const wires: number[] = [];
  for (let run = 1; run <= Number(values["capped-runs"]); run++) {
    const capped = await cappedRun(proxy, image);
    capped.read.forEach((r, i) =>
      console.log(
        `# capped run ${run} interval ${i + 1} (${(i * INTERVAL_MS) / 1000}-${((i + 1) * INTERVAL_MS) / 1000} s): read ${fmt(r / 1e6, 2)} MB/s (${fmt(dev(r), 1)} %), wire ${fmt(capped.wire[i] / 1e6, 2)} MB/s (${fmt(dev(capped.wire[i]), 1)} %)`,
      ),
    );
    console.log(
      `# capped run ${run}: ${fmt(capped.seconds, 2)} s in all (start-up and manifests included); after the last full interval ${fmt(capped.tail.mb, 1)} MB in ${fmt(capped.tail.seconds, 2)} s (${fmt(capped.tail.mb / capped.tail.seconds, 2)} MB/s, the copies ending)`,
    );
    reads.push(...capped.read);
    wires.push(...capped.wire);
  }
  const maxDev = Math.max(...reads.map((r) => Math.abs(dev(r))));
  const maxWireDev = Math.max(...wires.map((r) => Math.abs(dev(r))));

  const walls = { gate: [] as number[], today: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order: ("gate" | "today")[] = round % 2 ? ["today", "gate"] : ["gate", "today"];
    for (const kind of order) {
      const gate = kind === "gate" ? createSyncGate() : undefined;
      const seconds = await replicateOnce(upstream.url, image, gate);
      gate?.close();
      walls[kind].push(seconds);
      console.log(
        `# round ${round + 1} ${kind === "gate" ? "gate, no cap " : "no gate (today)"}: ${fmt(seconds, 2)} s, ${fmt(mb / seconds, 0)} MB/s`,
      );
    }
  }
  const ratio = median(walls.today) / median(walls.gate);
  const costs = await sharingCosts();
  console.log(
    `# sharing the bucket: ${fmt(costs.takeNs, 0)} ns per Atomics take (per socket read) vs ${fmt(costs.grantUs, 1)} µs per grant message round trip`,
  );
  summary.push(
    `cap_mbps=${fmt(capBytes / 1e6, 1)}`,
    `cap_intervals=${reads.length}`,
    `cap_max_dev_pct=${fmt(maxDev, 1)}`,
    `cap_max_wire_dev_pct=${fmt(maxWireDev, 1)}`,
    `nocap_gate_s=${fmt(median(walls.gate), 3)}`,
    `nocap_today_s=${fmt(median(walls.today), 3)}`,
    `nocap_ratio=${fmt(ratio, 3)}`,
    `take_ns=${fmt(costs.takeNs, 0)}`,
    `grant_roundtrip_us=${fmt(costs.grantUs, 1)}`,
  );
} finally {
  await proxy.close();
  await upstream.stop();
  await removeBlobDir(blobDir);
}
console.log(summary.join(" "));
