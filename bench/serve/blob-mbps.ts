// Benchmark: GET of a 100 MB blob (curl into /dev/null, one stream at a time), satellite serve
// vs docker-registry 2.8.2 holding the same blob, both from the page cache after a warm-up.
// Runs alternate between the two; medians are reported, and the median of each run pair's ratio
// (adjacent runs share the machine's load of the moment, which on a shared 2-core box moves
// single-stream figures by ±40%). Goal: ratio_blob_mbps ≥ 1.
// Run: npx tsx bench/serve/blob-mbps.ts [--mb 100] [--runs 11]
import { parseArgs } from "node:util";
import { MediaType } from "@harbor-satellite/oci";
import { makeBlobDir, pushBlob, removeBlobDir, writeRandomLayer } from "@harbor-satellite/testkit";
import { cpuSeconds, curlGet, fmt, median, startPeers, type Peer } from "./harness.js";

const { values } = parseArgs({
  options: { mb: { type: "string", default: "100" }, runs: { type: "string", default: "11" } },
});
const bytes = Number(values.mb) * 1_000_000;
const runs = Number(values.runs);

const peers = await startPeers();
const blobDir = await makeBlobDir();
try {
  const { blob } = await writeRandomLayer(blobDir, bytes, MediaType.OciLayer);
  const targets: Peer[] = [peers.satellite, peers.docker];
  for (const peer of targets) await pushBlob(peer.url, "bench/big", blob);
  const url = (peer: Peer) => `${peer.url}/v2/bench/big/blobs/${blob.digest}`;
  for (const peer of targets) await curlGet(url(peer)); // warm-up: page cache, connections, JIT

  const mbps = new Map<string, number[]>(targets.map((p) => [p.name, []]));
  const cpu = new Map<string, number>(targets.map((p) => [p.name, 0]));
  for (let i = 0; i < runs; i++) {
    for (const peer of targets) {
      const before = await cpuSeconds(peer.pid);
      const r = await curlGet(url(peer));
      cpu.set(peer.name, cpu.get(peer.name)! + (await cpuSeconds(peer.pid)) - before);
      if (r.status !== 200 || r.bytes !== blob.size)
        throw new Error(`${peer.name}: HTTP ${r.status}, ${r.bytes} of ${blob.size} bytes`);
      mbps.get(peer.name)!.push(r.bytes / r.seconds / 1e6);
      console.log(`run ${i + 1} ${peer.name}: ${fmt(r.bytes / r.seconds / 1e6, 0)} MB/s`);
    }
  }
  const sat = median(mbps.get("satellite")!);
  const reg = median(mbps.get("docker-registry")!);
  const paired = median(mbps.get("satellite")!.map((v, i) => v / mbps.get("docker-registry")![i]));
  const cpuPerGB = (name: string) => (cpu.get(name)! / ((blob.size * runs) / 1e9)).toFixed(2);
  console.log(`satellite: ${fmt(sat, 0)} MB/s median, ${cpuPerGB("satellite")} server CPU s/GB`);
  console.log(`docker-registry: ${fmt(reg, 0)} MB/s median, ${cpuPerGB("docker-registry")} server CPU s/GB`);
  console.log(
    `satellite_mbps=${fmt(sat, 0)} docker_registry_mbps=${fmt(reg, 0)} blob_mb=${values.mb} runs=${runs} paired_ratio_median=${fmt(paired)} ratio_blob_mbps=${fmt(sat / reg)}`,
  );
} finally {
  await peers.stop();
  await removeBlobDir(blobDir);
}
