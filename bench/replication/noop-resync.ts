// Benchmark: a no-op resync of 100 small images (nothing changed upstream). Requests are counted
// at a pass-through proxy in front of docker-registry; both tools go through it.
//   satellite: `satellite sync --once` with the 100 images into a data dir that already holds them
//   peer:      `skopeo sync --src yaml` of the same 100 images into a second docker-registry that
//              already holds them (one process for all images, as an operator would run it)
// The satellite needs one manifest HEAD per tag (the digest tells it nothing changed).
// Run: npx tsx bench/replication/noop-resync.ts [--images N] [--runs N]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { fmt, median, parseSummary, startCountingProxy, syncArgs, timed } from "./harness.js";

const { values } = parseArgs({
  options: { images: { type: "string", default: "100" }, runs: { type: "string", default: "3" } },
});
const count = Number(values.images);
const runs = Number(values.runs);

const upstream = await startDockerRegistry();
const dest = await startDockerRegistry();
const proxy = await startCountingProxy(upstream.url);
const blobDir = await makeBlobDir();
const work = await mkdtemp(join(tmpdir(), "bench-noop-"));
try {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const image = await buildImage({ layerSizes: [2048 + i], dir: blobDir, labels: { n: String(i) } });
    await pushImage(upstream.url, `bench/small-${i}`, "v1", image);
    names.push(`bench/small-${i}:v1`);
  }
  const proxyHost = new URL(proxy.url).host;
  const yaml = join(work, "sync.yml");
  await writeFile(
    yaml,
    `${proxyHost}:\n  tls-verify: false\n  images:\n${names.map((n) => `    ${n.split(":")[0]}:\n      - v1\n`).join("")}`,
  );
  const dataDir = join(work, "data");
  const satellite = () => timed(process.execPath, syncArgs(proxy.url, names, dataDir));
  const skopeo = () =>
    timed("skopeo", ["sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", yaml, dest.host]);

  const first = await satellite();
  console.log(
    `first satellite pass: ${proxy.requests} requests, ${fmt(first.wallSeconds)} s (${first.stdout.trim().split("\n").pop()})`,
  );
  proxy.reset();
  const firstPeer = await skopeo();
  console.log(`first skopeo sync: ${proxy.requests} requests, ${fmt(firstPeer.wallSeconds)} s`);

  const sat = { requests: [] as number[], seconds: [] as number[] };
  const peer = { requests: [] as number[], seconds: [] as number[] };
  for (let i = 0; i < runs; i++) {
    proxy.reset();
    const r = await satellite();
    const s = parseSummary(r.stdout);
    if (s.blobs_copied !== 0 || s.bytes !== 0) throw new Error(`no-op resync copied something: ${r.stdout}`);
    sat.requests.push(proxy.requests);
    sat.seconds.push(r.wallSeconds);
    console.log(
      `satellite resync ${i + 1}: ${proxy.requests} requests ${JSON.stringify(proxy.byMethod)}, wall ${fmt(r.wallSeconds)} s (pass ${fmt(s.seconds, 3)} s)`,
    );
    proxy.reset();
    const p = await skopeo();
    peer.requests.push(proxy.requests);
    peer.seconds.push(p.wallSeconds);
    console.log(
      `skopeo resync    ${i + 1}: ${proxy.requests} requests ${JSON.stringify(proxy.byMethod)}, wall ${fmt(p.wallSeconds)} s`,
    );
  }
  const satSeconds = median(sat.seconds);
  const peerSeconds = median(peer.seconds);
  console.log(
    `requests=${median(sat.requests)} seconds=${fmt(satSeconds, 3)} skopeo_requests=${median(peer.requests)} skopeo_seconds=${fmt(peerSeconds, 3)} ratio_vs_skopeo=${fmt(peerSeconds / satSeconds)}`,
  );
} finally {
  await proxy.close();
  await upstream.stop();
  await dest.stop();
  await removeBlobDir(blobDir);
  await rm(work, { recursive: true, force: true });
}
