// Benchmark: peak RSS of the `satellite sync --once` process (main thread, worker threads and the
// TypeScript loader together: ru_maxrss from /usr/bin/time) while it replicates an image of one
// 1 GiB layer, and the same with one 256 MiB layer to show memory does not grow with layer size.
// Goal: peak_rss_mb ≤ 150, rss_1g_vs_256m ≈ 1.
// Run: npx tsx bench/replication/peak-rss.ts [--runs N]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { flushDisk, fmt, parseSummary, syncArgs, timed } from "./harness.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const SIZES = { "256m": 256 * 2 ** 20, "1g": 2 ** 30 } as const;

const upstream = await startDockerRegistry();
const blobDir = await makeBlobDir();
try {
  const peaks: Record<keyof typeof SIZES, number> = { "256m": 0, "1g": 0 };
  for (const [name, size] of Object.entries(SIZES) as [keyof typeof SIZES, number][]) {
    const image = await buildImage({ layerSizes: [size], dir: blobDir, labels: { size: name } });
    await pushImage(upstream.url, `bench/rss-${name}`, "v1", image);
    for (let i = 0; i < runs; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), "bench-rss-"));
      try {
        await flushDisk();
        const r = await timed(process.execPath, syncArgs(upstream.url, [`bench/rss-${name}:v1`], dataDir));
        const s = parseSummary(r.stdout);
        if (s.bytes < size) throw new Error(`copied ${s.bytes} bytes, want at least ${size}`);
        peaks[name] = Math.max(peaks[name], r.maxRssMb);
        console.log(
          `${name} run ${i + 1}: max rss ${fmt(r.maxRssMb, 1)} MB, ${fmt(s.seconds)} s, ${fmt(s.mbps, 0)} MB/s`,
        );
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
  console.log(
    "rss is the whole process: main thread, worker threads and the tsx loader thread (a no-op pass alone peaks near 85-90 MB)",
  );
  console.log(
    `peak_rss_mb=${fmt(peaks["1g"], 1)} peak_rss_256m_mb=${fmt(peaks["256m"], 1)} rss_1g_vs_256m=${fmt(peaks["1g"] / peaks["256m"])}`,
  );
} finally {
  await upstream.stop();
  await removeBlobDir(blobDir);
}
