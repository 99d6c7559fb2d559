// Benchmark: a site pulling at once. 32 machines pull the same image (4 × 50 MB tar+gzip layers)
// at the same moment from the satellite's registry — `satellite serve` (the bundle, its own
// process) over a store filled by `satellite sync --once` from the docker-registry — and from that
// docker-registry 2.8.2 holding the same image. Both get the same client (pull-client.ts, Node,
// run as 2 load processes, one a core): a pull is the manifest by tag, then the config and the
// layers over a keep-alive pool of 3 sockets, every byte through sha256 and checked against
// its digest. Rounds alternate between the servers (the first server alternates too), the blobs
// come from the page cache after a warm-up pull.
// Figures: aggregate MB/s of a round (all bytes / first start to last end), median over rounds;
// p50/p99 of one pull's time over every pull of every round; server CPU per GB; peak RSS of each
// server process (VmHWM). Goals: ratio_mbps ≥ 1, satellite p99 ≤ docker-registry's, satellite
// peak RSS ≤ 200 MB.
// --source runs the satellite through tsx (no bundle build; its RSS then includes tsx's loader);
// --fill push fills the store by pushing the image into a writable `satellite serve` instead.
// Run: npx tsx bench/serve/site-pull.ts [--clients 32] [--layers 4] [--layer-mb 50] [--rounds 5] [--load-procs 2] [--source] [--fill sync|push]
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startServeProcess } from "@harbor-satellite/satellite/testing";
import { buildImage, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { run, syncArgs } from "../replication/harness.js";
import { useShippedBundle } from "../shipped-bundle.js";
import { cpuSeconds, dockerRegistryPid, fmt, median, peakRssMb, type Peer } from "./harness.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "32" },
    layers: { type: "string", default: "4" },
    "layer-mb": { type: "string", default: "50" },
    rounds: { type: "string", default: "5" },
    "load-procs": { type: "string", default: "2" },
    source: { type: "boolean", default: false },
    fill: { type: "string", default: "sync" },
  },
});
if (!["sync", "push"].includes(values.fill!)) throw new Error(`--fill must be sync or push, got ${values.fill}`);
const clients = Number(values.clients);
const rounds = Number(values.rounds);
const loadProcs = Math.min(Number(values["load-procs"]), clients);
const REPOSITORY = "bench/site";
const TAG = "v1";
const PULL_CLIENT = fileURLToPath(new URL("./pull-client.ts", import.meta.url));

interface Pull {
  start: number;
  end: number;
  bytes: number;
}

/** Starts the load processes, waits until all are ready, then lets them pull at once. */
async function pullRound(peer: Peer): Promise<Pull[]> {
  const procs = Array.from({ length: loadProcs }, (_, i) => {
    const share = Math.floor(clients / loadProcs) + (i < clients % loadProcs ? 1 : 0);
    const child = spawn(process.execPath, ["--import", "tsx", PULL_CLIENT, peer.url, REPOSITORY, TAG, String(share)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const nextLine = async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error(`pull client exited (${child.exitCode ?? child.signalCode})`);
      return value as string;
    };
    return { child, nextLine };
  });
  for (const p of procs) if ((await p.nextLine()) !== "ready") throw new Error("pull client did not start");
  for (const p of procs) p.child.stdin!.write("go\n");
  const results = await Promise.all(procs.map(async (p) => JSON.parse(await p.nextLine()) as { pulls: Pull[] }));
  for (const p of procs) p.child.stdin!.end();
  return results.flatMap((r) => r.pulls);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function loadAverage(): Promise<string> {
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join("/");
}

if (!values.source) await useShippedBundle();
const loadBefore = await loadAverage();
const blobDir = await makeBlobDir();
const dataDir = await mkdtemp(join(tmpdir(), "bench-site-pull-"));
const registry = await startDockerRegistry();
let serve: Awaited<ReturnType<typeof startServeProcess>> | undefined;
try {
  const image = await buildImage({
    layerSizes: Array.from({ length: Number(values.layers) }, () => Number(values["layer-mb"]) * 1_000_000),
    dir: blobDir,
    gzip: true,
  });
  await pushImage(registry.url, REPOSITORY, TAG, image);
  if (values.fill === "sync") {
    const synced = await run(process.execPath, syncArgs(registry.url, [`${REPOSITORY}:${TAG}`], dataDir));
    if (synced.code !== 0) throw new Error(`satellite sync failed: ${synced.stderr}`);
  } else {
    // Pushed into the same store by a writable serve, stopped before the measured one starts.
    const writer = await startServeProcess({ dataDir });
    await pushImage(writer.url, REPOSITORY, TAG, image).finally(() => writer.stop());
  }
  serve = await startServeProcess({ dataDir, readOnly: true });
  const peers: Peer[] = [
    { name: "satellite", url: serve.url, pid: serve.pid },
    { name: "docker-registry", url: registry.url, pid: await dockerRegistryPid(registry) },
  ];
  const imageMb = (image.manifest.length + image.config.size + image.layers.reduce((n, l) => n + l.size, 0)) / 1e6;
  console.log(
    `# ${clients} clients × ${fmt(imageMb, 1)} MB (${image.layers.length} gzip layers) per round, ${loadProcs} load processes, ${rounds} rounds each; load average before ${loadBefore}`,
  );
  for (const peer of peers) await pullRound(peer); // warm-up: page cache, JIT, the clients' own start

  const stats = new Map(peers.map((p) => [p.name, { mbps: [] as number[], seconds: [] as number[], cpu: 0, gb: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const peer of round % 2 ? [...peers].reverse() : peers) {
      const cpuBefore = await cpuSeconds(peer.pid);
      const pulls = await pullRound(peer);
      const s = stats.get(peer.name)!;
      s.cpu += (await cpuSeconds(peer.pid)) - cpuBefore;
      const bytes = pulls.reduce((n, p) => n + p.bytes, 0);
      const span = (Math.max(...pulls.map((p) => p.end)) - Math.min(...pulls.map((p) => p.start))) / 1000;
      s.gb += bytes / 1e9;
      s.mbps.push(bytes / 1e6 / span);
      s.seconds.push(...pulls.map((p) => (p.end - p.start) / 1000));
      console.log(
        `# round ${round + 1} ${peer.name.padEnd(15)} ${fmt(bytes / 1e6 / span, 0)} MB/s aggregate, all ${clients} pulls done in ${fmt(span)} s, slowest pull ${fmt(Math.max(...pulls.map((p) => (p.end - p.start) / 1000)))} s`,
      );
    }
  }
  const figures = peers.map((peer) => {
    const s = stats.get(peer.name)!;
    return {
      name: peer.name,
      mbps: median(s.mbps),
      p50: percentile(s.seconds, 50),
      p99: percentile(s.seconds, 99),
      cpuPerGb: s.cpu / s.gb,
      peakRss: peakRssMb(peer.pid),
    };
  });
  const [sat, reg] = await Promise.all(figures.map(async (f) => ({ ...f, peakRss: await f.peakRss })));
  for (const f of [sat, reg])
    console.log(
      `# ${f.name}: ${fmt(f.mbps, 0)} MB/s aggregate (median of rounds), pull p50 ${fmt(f.p50)} s p99 ${fmt(f.p99)} s, ${fmt(f.cpuPerGb)} server CPU s/GB, peak RSS ${fmt(f.peakRss, 1)} MB`,
    );
  console.log(
    [
      `satellite_mbps=${fmt(sat.mbps, 0)}`,
      `docker_registry_mbps=${fmt(reg.mbps, 0)}`,
      `ratio_mbps=${fmt(sat.mbps / reg.mbps)}`,
      `satellite_p99_s=${fmt(sat.p99)}`,
      `docker_registry_p99_s=${fmt(reg.p99)}`,
      `ratio_p99=${fmt(sat.p99 / reg.p99)}`,
      `satellite_cpu_s_per_gb=${fmt(sat.cpuPerGb)}`,
      `docker_registry_cpu_s_per_gb=${fmt(reg.cpuPerGb)}`,
      `satellite_peak_rss_mb=${fmt(sat.peakRss, 1)}`,
      `docker_registry_peak_rss_mb=${fmt(reg.peakRss, 1)}`,
      `clients=${clients}`,
      `rounds=${rounds}`,
      `load_avg=${loadBefore},${await loadAverage()}`,
    ].join(" "),
  );
} finally {
  await serve?.stop();
  await registry.stop();
  await rm(dataDir, { recursive: true, force: true });
  await removeBlobDir(blobDir);
}
