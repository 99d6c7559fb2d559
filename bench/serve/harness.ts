// Shared by the serving benchmarks: both registries holding the same content, each in its own
// process on loopback (satellite serve from bin/satellite.mjs; docker-registry 2.8.2), and the
// load tools run as separate processes (wrk, curl) so the load never shares the server's CPU
// time slice.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startServeProcess } from "@harbor-satellite/satellite/testing";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";

const run = promisify(execFile);

export interface Peer {
  name: "satellite" | "docker-registry";
  url: string;
  pid: number;
}

export interface Peers {
  satellite: Peer;
  docker: Peer;
  stop(): Promise<void>;
}

export async function startPeers(): Promise<Peers> {
  const dataDir = await mkdtemp(join(tmpdir(), "bench-serve-"));
  const [sat, reg] = await Promise.all([startServeProcess({ dataDir }), startDockerRegistry()]);
  const dockerPid = await dockerRegistryPid(reg);
  return {
    satellite: { name: "satellite", url: sat.url, pid: sat.pid },
    docker: { name: "docker-registry", url: reg.url, pid: dockerPid },
    stop: async () => {
      await Promise.all([sat.stop(), reg.stop()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The test kit does not hand out docker-registry's pid; its config path is unique to the run (0 if not found). */
export async function dockerRegistryPid(registry: DockerRegistry): Promise<number> {
  const configPath = join(registry.dataDir, "..", "config.yml");
  const found = await run("pgrep", ["-n", "-f", `docker-registry serve ${configPath}`]).catch(() => ({ stdout: "0" }));
  return Number(found.stdout.trim());
}

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

/** `wrk -t<threads> -c<connections> -d<seconds>s --latency` with extra headers. */
export async function wrk(
  url: string,
  options: { connections: number; threads: number; seconds: number; headers?: Record<string, string> },
): Promise<WrkResult> {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, "--latency"];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push("-H", `${k}: ${v}`);
  const { stdout } = await run("wrk", [...args, url], { timeout: (options.seconds + 30) * 1000 });
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  const ms = (re: RegExp) => {
    const m = re.exec(stdout);
    if (!m) return NaN;
    const unit = m[2];
    return Number(m[1]) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);
  };
  const errors = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
    p99ms: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
    errors: errors + (socketErrors ? socketErrors.slice(1).reduce((n, x) => n + Number(x), 0) : 0),
  };
}

/** One GET with curl into /dev/null; returns bytes and seconds as curl measured them. */
export async function curlGet(url: string): Promise<{ bytes: number; seconds: number; status: number }> {
  const { stdout } = await run(
    "curl",
    ["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}", url],
    { timeout: 120_000 },
  );
  const [status, bytes, seconds] = stdout.trim().split(" ").map(Number);
  return { status, bytes, seconds };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  if (!pid) return NaN;
  const { readFile } = await import("node:fs/promises");
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Peak resident set size of a process so far (VmHWM from /proc), in MB; NaN once it has exited. */
export async function peakRssMb(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
