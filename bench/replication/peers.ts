// The tools copy-throughput.ts times, each doing the satellite's job on the same image: every
// blob fetched from the upstream registry, verified against its digest and written to local
// storage. Each run gets a fresh destination, made before the clock starts.
//   satellite     `satellite sync --once` into a fresh data dir (fsyncs each blob before it is visible)
//   skopeo-oci    `skopeo copy docker://… oci:DIR` — registry to a local OCI layout, the same job
//   skopeo-reg    `skopeo copy docker://… docker://…` into a fresh docker-registry (a second
//                 server does the writing; kept because it is how skopeo is usually measured)
//   containerd    `ctr content fetch` through a containerd daemon started for the run: fetched,
//                 verified and committed to its content store, nothing unpacked
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startContainerd, CTR_BIN, type Containerd } from "../../tests/interop/containerd.js";
import { parseSummary, syncArgs, timed, type TimedRun } from "./harness.js";

export const TOOLS = ["satellite", "skopeo-oci", "skopeo-reg", "containerd"] as const;
/** `satellite-before`: another build of the satellite (copy-throughput's --before), for an A/B in the same rounds. */
export type Tool = (typeof TOOLS)[number] | "satellite-before";

export interface CopyJob {
  upstreamUrl: string;
  upstreamHost: string;
  /** `repository:tag` on the upstream. */
  image: string;
  manifestDigest: string;
  blobCount: number;
  /** An HTTPS upstream: every tool is given its CA (the PEM file, and a folder holding it as ca.crt). */
  tls?: { caFile: string; certDir: string };
}

/** How skopeo reaches the source: verifying the HTTPS upstream's CA, or plain HTTP. */
const skopeoSource = (job: CopyJob) => (job.tls ? [`--src-cert-dir=${job.tls.certDir}`] : ["--src-tls-verify=false"]);

export interface ToolRun extends TimedRun {
  tool: Tool;
  /** What the run says of itself beyond time (the satellite's pass and rate). */
  detail: string;
}

/** A fresh destination for one tool, the timed command, and a check that the job was done. */
interface Prepared {
  command: string;
  args: string[];
  check(run: TimedRun): Promise<string>;
  cleanup(): Promise<void>;
}

export async function runTool(
  tool: Tool,
  job: CopyJob,
  extraArgs: (tool: Tool) => string[] = () => [],
): Promise<ToolRun> {
  const prepared = await prepare(tool, job);
  try {
    const run = await timed(prepared.command, [...prepared.args, ...extraArgs(tool)]);
    return { ...run, tool, detail: await prepared.check(run) };
  } finally {
    await prepared.cleanup();
  }
}

/** The command line of each tool, for running it under another wrapper (strace). */
export async function withTool<T>(
  tool: Tool,
  job: CopyJob,
  fn: (command: string, args: string[]) => Promise<T>,
): Promise<T> {
  const prepared = await prepare(tool, job);
  try {
    return await fn(prepared.command, prepared.args);
  } finally {
    await prepared.cleanup();
  }
}

async function prepare(tool: Tool, job: CopyJob): Promise<Prepared> {
  switch (tool) {
    case "satellite":
      return prepareSatellite(job);
    case "satellite-before":
      return prepareSatellite(job, process.env.BENCH_SATELLITE_BEFORE_BIN);
    case "skopeo-oci":
      return prepareSkopeoOci(job);
    case "skopeo-reg":
      return prepareSkopeoRegistry(job);
    case "containerd":
      return prepareContainerd(job);
  }
}

async function prepareSatellite(job: CopyJob, bin?: string): Promise<Prepared> {
  const dataDir = await mkdtemp(join(tmpdir(), "bench-sat-"));
  const args = syncArgs(job.upstreamUrl, [job.image], dataDir, job.tls ? ["--ca-file", job.tls.caFile] : []);
  if (bin) args[0] = bin;
  return {
    command: process.execPath,
    args,
    async check(run) {
      const s = parseSummary(run.stdout);
      if (s.blobs_copied !== job.blobCount)
        throw new Error(`satellite copied ${s.blobs_copied} blobs, want ${job.blobCount}`);
      return `pass ${s.seconds.toFixed(2)} s, ${s.mbps.toFixed(0)} MB/s`;
    },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function prepareSkopeoOci(job: CopyJob): Promise<Prepared> {
  const dir = await mkdtemp(join(tmpdir(), "bench-oci-"));
  return {
    command: "skopeo",
    args: [
      "copy",
      "--quiet",
      ...skopeoSource(job),
      "--preserve-digests",
      `docker://${job.upstreamHost}/${job.image}`,
      `oci:${join(dir, "layout")}:latest`,
    ],
    async check() {
      const index = JSON.parse(await readFile(join(dir, "layout", "index.json"), "utf8")) as {
        manifests: { digest: string }[];
      };
      if (index.manifests[0]?.digest !== job.manifestDigest)
        throw new Error(`skopeo oci: manifest ${index.manifests[0]?.digest}, want ${job.manifestDigest}`);
      return "digests preserved";
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function prepareSkopeoRegistry(job: CopyJob): Promise<Prepared> {
  const dest: DockerRegistry = await startDockerRegistry();
  return {
    command: "skopeo",
    args: [
      "copy",
      "--quiet",
      ...skopeoSource(job),
      "--dest-tls-verify=false",
      "--preserve-digests",
      `docker://${job.upstreamHost}/${job.image}`,
      `docker://${dest.host}/${job.image}`,
    ],
    async check() {
      const [repository, tag] = job.image.split(":");
      const res = await fetch(`${dest.url}/v2/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      const digest = res.headers.get("docker-content-digest");
      if (digest !== job.manifestDigest)
        throw new Error(`skopeo registry: manifest ${digest}, want ${job.manifestDigest}`);
      return "digests preserved";
    },
    cleanup: () => dest.stop(),
  };
}

async function prepareContainerd(job: CopyJob): Promise<Prepared> {
  const dir = await mkdtemp(join(tmpdir(), "bench-containerd-"));
  const daemon: Containerd = await startContainerd(join(dir, "daemon"));
  return {
    command: CTR_BIN,
    args: [
      "-a",
      daemon.socket,
      "--namespace",
      "test",
      "content",
      "fetch",
      ...(job.tls ? ["--hosts-dir", await containerdHosts(dir, job)] : ["--plain-http"]),
      `${job.upstreamHost}/${job.image}`,
    ],
    async check() {
      const listed = await daemon.ctr("content", "ls", "-q");
      const held = listed.trim().split("\n").filter(Boolean);
      if (held.length !== job.blobCount + 1 || !held.includes(job.manifestDigest))
        throw new Error(`containerd holds ${held.length} blobs, want ${job.blobCount + 1} with the manifest`);
      return "content store holds every blob";
    },
    async cleanup() {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A hosts.toml that sends ctr to the upstream over HTTPS with its CA: ctr takes a loopback
 * registry for plain HTTP unless the host's configuration says otherwise.
 */
async function containerdHosts(dir: string, job: CopyJob): Promise<string> {
  const hosts = join(dir, "hosts");
  await mkdir(join(hosts, job.upstreamHost), { recursive: true });
  const server = `https://${job.upstreamHost}`;
  await writeFile(
    join(hosts, job.upstreamHost, "hosts.toml"),
    `server = "${server}"\n\n[host."${server}"]\n  capabilities = ["pull", "resolve"]\n  ca = "${job.tls!.caFile}"\n`,
  );
  return hosts;
}
