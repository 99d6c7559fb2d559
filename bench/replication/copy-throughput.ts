// Benchmark: replicate one image of 4×100 MB random layers from docker-registry.
//   satellite: `satellite sync --once` into a fresh data dir (socket → sha256 → file → fsync → rename)
//   peer:      `skopeo copy docker://A/… docker://B/…` into a fresh second docker-registry
// Both read the same upstream (its blobs in the page cache after the first push). Runs alternate;
// medians are reported. Goal: ratio_vs_skopeo ≥ 1.5 (skopeo time / satellite time).
// Run: npx tsx bench/replication/copy-throughput.ts [--runs N]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { flushDisk, fmt, median, parseSummary, syncArgs, timed } from "./harness.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, "layer-mb": { type: "string", default: "100" } } });
const runs = Number(values.runs);
const layerBytes = Number(values["layer-mb"]) * 1_000_000;
const IMAGE = "bench/big:v1";

const upstream = await startDockerRegistry();
const blobDir = await makeBlobDir();
try {
  const image = await buildImage({ layerSizes: [layerBytes, layerBytes, layerBytes, layerBytes], dir: blobDir });
  await pushImage(upstream.url, "bench/big", "v1", image);
  const totalBytes = image.layers.reduce((n, l) => n + l.size, 0) + image.config.size;
  console.log(`image: 4 layers, ${fmt(totalBytes / 1e6, 1)} MB; runs: ${runs}`);

  const satellite: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), "bench-sat-"));
    try {
      await flushDisk();
      const r = await timed(process.execPath, syncArgs(upstream.url, [IMAGE], dataDir));
      const s = parseSummary(r.stdout);
      if (s.blobs_copied !== 5) throw new Error(`satellite copied ${s.blobs_copied} blobs, want 5`);
      satellite.push(r.wallSeconds);
      console.log(`satellite run ${i + 1}: wall ${fmt(r.wallSeconds)} s (pass ${fmt(s.seconds)} s, ${fmt(s.mbps, 0)} MB/s), cpu ${fmt(r.cpuSeconds)} s, max rss ${fmt(r.maxRssMb, 0)} MB`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    const dest = await startDockerRegistry();
    try {
      await flushDisk();
      const r = await timed("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${upstream.host}/${IMAGE}`, `docker://${dest.host}/${IMAGE}`]);
      peer.push(r.wallSeconds);
      console.log(`skopeo    run ${i + 1}: wall ${fmt(r.wallSeconds)} s, cpu ${fmt(r.cpuSeconds)} s, max rss ${fmt(r.maxRssMb, 0)} MB`);
    } finally {
      await dest.stop();
    }
  }
  const sat = median(satellite);
  const sko = median(peer);
  // Runs alternate, so each pair shares the machine's load of the moment; the median paired ratio
  // is the steadier figure on a busy machine.
  const paired = median(satellite.map((s, i) => peer[i] / s));
  console.log("note: the satellite fsyncs every blob before it becomes visible; docker-registry, skopeo's destination, does not");
  console.log(`satellite_s=${fmt(sat, 3)} skopeo_s=${fmt(sko, 3)} satellite_mbps=${fmt(totalBytes / 1e6 / sat, 0)} skopeo_mbps=${fmt(totalBytes / 1e6 / sko, 0)} paired_ratio=${fmt(paired)} ratio_vs_skopeo=${fmt(sko / sat)}`);
} finally {
  await upstream.stop();
  await removeBlobDir(blobDir);
}
