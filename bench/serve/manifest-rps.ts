// Benchmark: manifest GET by tag, 16 keep-alive connections (wrk), satellite serve vs
// docker-registry 2.8.2 holding the same image. Rounds alternate between the two after a
// warm-up each; medians are reported, with latency percentiles and server CPU per request.
// Goal: ratio_manifest_rps ≥ 2.
// Run: npx tsx bench/serve/manifest-rps.ts [--seconds 8] [--rounds 3] [--connections 16] [--threads 2]
import { parseArgs } from "node:util";
import { MediaType } from "@harbor-satellite/oci";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { cpuSeconds, fmt, median, startPeers, wrk, type Peer, type WrkResult } from "./harness.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    threads: { type: "string", default: "2" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const threads = Number(values.threads);

const peers = await startPeers();
const blobDir = await makeBlobDir();
try {
  const image = await buildImage({ layerSizes: [1_000_000, 200_000, 5_000], dir: blobDir });
  const targets: Peer[] = [peers.satellite, peers.docker];
  for (const peer of targets) await pushImage(peer.url, "bench/app", "v1", image);
  const url = (peer: Peer) => `${peer.url}/v2/bench/app/manifests/v1`;
  const headers = { Accept: MediaType.OciManifest };
  for (const peer of targets) await wrk(url(peer), { connections, threads, seconds: 2, headers }); // warm-up

  const results = new Map<string, (WrkResult & { cpuPerReq: number })[]>(targets.map((p) => [p.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const peer of targets) {
      const cpuBefore = await cpuSeconds(peer.pid);
      const r = await wrk(url(peer), { connections, threads, seconds, headers });
      const cpu = (await cpuSeconds(peer.pid)) - cpuBefore;
      if (r.errors > 0) throw new Error(`${peer.name}: ${r.errors} failed requests`);
      results.get(peer.name)!.push({ ...r, cpuPerReq: cpu / (r.rps * seconds) });
      console.log(
        `round ${round + 1} ${peer.name}: ${fmt(r.rps, 0)} req/s p50=${fmt(r.p50ms)}ms p99=${fmt(r.p99ms)}ms server_cpu=${fmt(cpu, 1)}s`,
      );
    }
  }
  const summary = (name: string) => {
    const rs = results.get(name)!;
    return {
      rps: median(rs.map((r) => r.rps)),
      p99: median(rs.map((r) => r.p99ms)),
      usPerReq: median(rs.map((r) => r.cpuPerReq)) * 1e6,
    };
  };
  const sat = summary("satellite");
  const reg = summary("docker-registry");
  console.log(
    `satellite: ${fmt(sat.rps, 0)} req/s, p99 ${fmt(sat.p99)} ms, ${fmt(sat.usPerReq, 1)} µs server CPU per request`,
  );
  console.log(
    `docker-registry: ${fmt(reg.rps, 0)} req/s, p99 ${fmt(reg.p99)} ms, ${fmt(reg.usPerReq, 1)} µs server CPU per request`,
  );
  console.log(
    `satellite_rps=${fmt(sat.rps, 0)} docker_registry_rps=${fmt(reg.rps, 0)} satellite_p99_ms=${fmt(sat.p99)} docker_registry_p99_ms=${fmt(reg.p99)} connections=${connections} ratio_manifest_rps=${fmt(sat.rps / reg.rps)}`,
  );
} finally {
  await peers.stop();
  await removeBlobDir(blobDir);
}
