// Benchmark: replicate one image from docker-registry, the satellite against three peers doing
// the same job (peers.ts), whole processes as a user runs them, in the same run: per round every
// tool once, the order rotating between rounds so none always runs on a warmer or busier
// machine; `sync` flushes dirty pages before each timed run. Layers are gzip (tar+gzip, as real
// images have them; random bytes framed at level 0, so no tool spends time compressing) unless
// --uncompressed, whose figures are labelled as such. Two shapes by default: 4×100 MB, where
// bytes per second matter, and 200×1 MB, where per-request latency and concurrency do.
// Goal: the satellite ≥ 1.5× the fastest peer (its median wall time / the satellite's).
// Run: npx tsx bench/replication/copy-throughput.ts [--runs 5] [--shapes 4x100,200x1] [--uncompressed] [--tools …] [--fsync-check] [--no-prime] [--https]
// --https: the upstream speaks TLS with a self-signed certificate every tool is given as its CA
// (upstream.ts), as Harbor does.
// Before each timed run the bench writes and deletes a scratch file as large as the image
// (harness.ts primeMemory: this VM backs memory lazily, and whichever run met cold pages paid for
// it), then syncs; --no-prime leaves that out.
// [--before DIR]: DIR/bin/satellite.mjs (an older build: copy bin/ and dist/ into a folder inside the
// checkout, e.g. node_modules/.sat-before, so its packages resolve) runs in the same rounds as
// `satellite-before`, not a peer: an A/B of the satellite alone.
import { parseArgs } from "node:util";
import { buildImage, makeBlobDir, removeBlobDir } from "@harbor-satellite/testkit";
import { countSyncCalls } from "./fsync-check.js";
import { flushDisk, fmt, median, primeMemory } from "./harness.js";
import { environmentLabel, useShippedBundle } from "../shipped-bundle.js";
import { runTool, TOOLS, type CopyJob, type Tool } from "./peers.js";
import { startUpstream } from "./upstream.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    shapes: { type: "string", default: "4x100,200x1" },
    uncompressed: { type: "boolean", default: false },
    tools: { type: "string", default: TOOLS.join(",") },
    "fsync-check": { type: "boolean", default: false },
    "no-prime": { type: "boolean", default: false },
    https: { type: "boolean", default: false },
    before: { type: "string" },
  },
});
const runs = Number(values.runs);
const tools = values.tools!.split(",") as Tool[];
for (const t of tools)
  if (!(TOOLS as readonly Tool[]).includes(t)) throw new Error(`--tools: unknown ${t} (known: ${TOOLS.join(", ")})`);
if (!tools.includes("satellite")) throw new Error("--tools must include satellite");
if (values.before) {
  process.env.BENCH_SATELLITE_BEFORE_BIN = `${values.before}/bin/satellite.mjs`;
  tools.push("satellite-before");
}
const shapes = values.shapes!.split(",").map((shape) => {
  const m = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(shape);
  if (!m) throw new Error(`--shapes: ${shape} is not COUNTxMB`);
  return { name: shape, count: Number(m[1]), bytes: Math.round(Number(m[2]) * 1_000_000) };
});
const layerKind = values.uncompressed
  ? "uncompressed tar (skopeo registry→registry would gzip them: not the same job)"
  : "tar+gzip";

await useShippedBundle();

const summary: string[] = [];
const upstream = await startUpstream(values.https);
try {
  for (const shape of shapes) {
    const blobDir = await makeBlobDir();
    try {
      const image = await buildImage({
        layerSizes: Array.from({ length: shape.count }, () => shape.bytes),
        dir: blobDir,
        gzip: !values.uncompressed,
      });
      const repository = `bench/s${shape.name.replace(".", "_")}`;
      await upstream.push(repository, image);
      const job: CopyJob = {
        upstreamUrl: upstream.url,
        upstreamHost: upstream.host,
        image: `${repository}:v1`,
        manifestDigest: image.manifestDigest,
        blobCount: image.layers.length + 1,
        tls: upstream.tls,
      };
      const totalMb = (image.layers.reduce((n, l) => n + l.size, 0) + image.config.size) / 1e6;
      console.log(
        `# ${shape.name}: ${shape.count} layers (${layerKind}), ${fmt(totalMb, 1)} MB; ${runs} rounds of ${tools.join(", ")}`,
      );
      if (values["fsync-check"]) {
        for (const tool of tools) console.log(`# ${tool}: ${await countSyncCalls(tool, job)}`);
      }
      const walls = Object.fromEntries(tools.map((t) => [t, [] as number[]])) as Record<Tool, number[]>;
      for (let round = 0; round < runs; round++) {
        const order = tools.map((_, i) => tools[(i + round) % tools.length]);
        for (const tool of order) {
          if (!values["no-prime"]) await primeMemory(totalMb * 1.1e6);
          await flushDisk();
          const r = await runTool(tool, job);
          walls[tool].push(r.wallSeconds);
          console.log(
            `# ${shape.name} round ${round + 1} ${tool.padEnd(10)} wall ${fmt(r.wallSeconds)} s, cpu ${fmt(r.cpuSeconds)} s, max rss ${fmt(r.maxRssMb, 0)} MB (${r.detail})`,
          );
        }
      }
      const sat = median(walls.satellite);
      const peers = tools
        .filter((t) => t !== "satellite" && t !== "satellite-before")
        .map((t) => ({ tool: t, wall: median(walls[t]) }));
      const fastest = peers.reduce(
        (best, p) => (p.wall < best.wall ? p : best),
        peers[0] ?? { tool: "satellite" as Tool, wall: sat },
      );
      for (const t of tools)
        console.log(
          `# ${shape.name} ${t.padEnd(10)} median ${fmt(median(walls[t]), 3)} s, ${fmt(totalMb / median(walls[t]), 0)} MB/s (${walls[t].map((w) => fmt(w)).join(", ")})`,
        );
      const key = shape.name.replace(".", "_");
      summary.push(
        `satellite_${key}_s=${fmt(sat, 3)}`,
        ...peers.map((p) => `${p.tool.replace("-", "_")}_${key}_s=${fmt(p.wall, 3)}`),
        `fastest_peer_${key}=${fastest.tool}`,
        `ratio_vs_fastest_${key}=${fmt(fastest.wall / sat)}`,
      );
      if (values.before)
        summary.push(
          `satellite_before_${key}_s=${fmt(median(walls["satellite-before"]), 3)}`,
          `ratio_vs_before_${key}=${fmt(median(walls["satellite-before"]) / sat)}`,
        );
    } finally {
      await removeBlobDir(blobDir);
    }
  }
} finally {
  await upstream.stop();
}
if (values.uncompressed) summary.unshift("layers=uncompressed");
if (values["no-prime"]) summary.unshift("memory=unprimed");
if (values.https) summary.unshift("upstream=https");
summary.unshift(...environmentLabel());
console.log(summary.join(" "));
