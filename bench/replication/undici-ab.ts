// Benchmark (issue 14 item 3b): the layer-copy worker's HTTP client, A/B in the same run. Arm
// "raw" is today's hand-written HTTP/1.1 GET (raw-http-get.mjs: socket reads into one
// preallocated buffer); arm "undici" swaps in undici's dispatcher API (undici-ab/undici-get.mjs,
// same contract): a resolve hook in the satellite's main thread hands piscina a shadow copy of
// blob-fetch-worker.mjs whose GET import points at the adapter (undici-ab/), so nothing else differs. Each run is a whole
// `satellite sync --once` process (from the sources) replicating one image of gzip layers from
// docker-registry into a fresh data dir, timed with /usr/bin/time (wall, ru_maxrss of the whole
// process, worker threads included); arms alternate, the order flipping each round; `sync`
// flushes dirty pages before each run; the load average is printed with every run. Goal for
// adopting undici: median wall time and median peak RSS within 5 % of the hand-written GET.
// Needs undici (not a dependency of the project): BENCH_UNDICI=/abs/path/to/node_modules/undici/index.js
// Run: BENCH_UNDICI=… npx tsx bench/replication/undici-ab.ts [--rounds 5] [--layers 4] [--mb 400]
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { flushDisk, fmt, median, parseSummary, syncArgs, timed } from "./harness.js";
import { writeShadowWorker } from "./undici-ab/shadow-worker.mjs";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    layers: { type: "string", default: "4" },
    mb: { type: "string", default: "400" },
  },
});
const rounds = Number(values.rounds);
const layers = Number(values.layers);
const totalBytes = Number(values.mb) * 1_000_000;
if (!process.env.BENCH_UNDICI || !existsSync(process.env.BENCH_UNDICI))
  throw new Error("set BENCH_UNDICI to undici's index.js (npm install undici@7 --prefix /tmp/x)");
const REGISTER = fileURLToPath(new URL("./undici-ab/register.mjs", import.meta.url));
const SHADOW = fileURLToPath(new URL("./undici-ab/.shadow-blob-fetch-worker.mjs", import.meta.url));
const ARMS = ["raw", "undici"] as const;
type Arm = (typeof ARMS)[number];

process.env.HARBOR_SATELLITE_RUN = "source";
process.env.BENCH_SHADOW_WORKER = await writeShadowWorker(SHADOW);
const upstream = await startDockerRegistry();
const blobDir = await makeBlobDir();
const load = () =>
  loadavg()
    .map((l) => fmt(l, 1))
    .join(" ");
try {
  const image = await buildImage({
    layerSizes: Array.from({ length: layers }, () => Math.round(totalBytes / layers)),
    dir: blobDir,
    gzip: true,
  });
  await pushImage(upstream.url, "bench/ab", "v1", image);
  const mb = (image.layers.reduce((n, l) => n + l.size, 0) + image.config.size) / 1e6;
  console.log(`# ${layers} gzip layers, ${fmt(mb, 1)} MB; ${rounds} rounds, arms alternating; load at start ${load()}`);
  const results: Record<Arm, { wall: number; pass: number; rss: number; cpu: number }[]> = { raw: [], undici: [] };
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const arm of round % 2 ? [...ARMS].reverse() : ARMS) {
      const dataDir = await mkdtemp(join(tmpdir(), "bench-ab-"));
      const mark = join(dataDir, "..", `${dataDir.split("/").pop()}.undici-loaded`);
      process.env.BENCH_BLOB_GET = arm;
      process.env.BENCH_BLOB_GET_MARK = mark;
      try {
        await flushDisk();
        const r = await timed(process.execPath, [
          "--import",
          REGISTER,
          ...syncArgs(upstream.url, ["bench/ab:v1"], dataDir),
        ]);
        const s = parseSummary(r.stdout);
        if (s.bytes < mb * 1e6 * 0.99) throw new Error(`${arm}: copied ${s.bytes} bytes of ${mb} MB`);
        // The undici arm must really have run undici in the workers, and the raw arm must not.
        if (existsSync(mark) !== (arm === "undici")) throw new Error(`${arm}: undici loaded = ${existsSync(mark)}`);
        results[arm].push({ wall: r.wallSeconds, pass: s.seconds, rss: r.maxRssMb, cpu: r.cpuSeconds });
        loads.push(loadavg()[0]);
        console.log(
          `# round ${round + 1} ${arm.padEnd(6)}: wall ${fmt(r.wallSeconds)} s, pass ${fmt(s.seconds)} s (${fmt(mb / s.seconds, 0)} MB/s), peak rss ${fmt(r.maxRssMb, 1)} MB, cpu ${fmt(r.cpuSeconds)} s; load ${load()}`,
        );
      } finally {
        await rm(dataDir, { recursive: true, force: true });
        await rm(mark, { force: true });
      }
    }
  }
  const med = (arm: Arm, key: "wall" | "pass" | "rss" | "cpu") => median(results[arm].map((r) => r[key]));
  console.log(
    [
      `wall_raw_s=${fmt(med("raw", "wall"), 3)}`,
      `wall_undici_s=${fmt(med("undici", "wall"), 3)}`,
      `pass_raw_s=${fmt(med("raw", "pass"), 3)}`,
      `pass_undici_s=${fmt(med("undici", "pass"), 3)}`,
      `pass_ratio=${fmt(med("undici", "pass") / med("raw", "pass"), 3)}`,
      `wall_ratio=${fmt(med("undici", "wall") / med("raw", "wall"), 3)}`,
      `rss_raw_mb=${fmt(med("raw", "rss"), 1)}`,
      `rss_undici_mb=${fmt(med("undici", "rss"), 1)}`,
      `rss_ratio=${fmt(med("undici", "rss") / med("raw", "rss"), 3)}`,
      `cpu_raw_s=${fmt(med("raw", "cpu"), 2)}`,
      `cpu_undici_s=${fmt(med("undici", "cpu"), 2)}`,
      `load_median=${fmt(median(loads), 1)}`,
    ].join(" "),
  );
} finally {
  await rm(SHADOW, { force: true });
  await upstream.stop();
  await removeBlobDir(blobDir);
}
