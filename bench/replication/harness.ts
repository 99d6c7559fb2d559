// Shared pieces of the replication benchmarks: timing a process with /usr/bin/time (wall, CPU,
// max RSS of the whole process, worker threads included), a counting proxy in front of an
// upstream registry (requests and response bytes), and the satellite command line.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SATELLITE_BIN = new URL("../../bin/satellite.mjs", import.meta.url).pathname;

export interface TimedRun {
  code: number;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  cpuSeconds: number;
  maxRssMb: number;
}

/** Runs a command under `/usr/bin/time`, failing loudly when it exits non-zero (unless allowed). */
export async function timed(
  command: string,
  args: string[],
  options: { allowFailure?: boolean } = {},
): Promise<TimedRun> {
  const dir = await mkdtemp(join(tmpdir(), "bench-time-"));
  const out = join(dir, "time");
  try {
    const started = performance.now();
    const { code, stdout, stderr } = await run("/usr/bin/time", ["-f", "%e %U %S %M", "-o", out, command, ...args]);
    const wall = (performance.now() - started) / 1000;
    if (code !== 0 && !options.allowFailure) throw new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`);
    const last = (await readFile(out, "utf8")).trim().split("\n").pop() ?? "";
    const [, user, sys, rssKb] = last.split(" ").map(Number);
    return { code, stdout, stderr, wallSeconds: wall, cpuSeconds: user + sys, maxRssMb: rssKb / 1024 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-100_000)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `satellite sync --once` arguments for images on an upstream. */
export function syncArgs(upstream: string, images: string[], dataDir: string, extra: string[] = []): string[] {
  return [
    SATELLITE_BIN,
    "sync",
    "--once",
    "--upstream",
    upstream,
    ...images.flatMap((i) => ["--image", i]),
    "--data-dir",
    dataDir,
    "--log-level",
    "warn",
    ...extra,
  ];
}

/** Parses the satellite's summary line (the last line of stdout). */
export function parseSummary(stdout: string): Record<string, number> {
  const last = stdout.trim().split("\n").pop() ?? "";
  return Object.fromEntries(
    last
      .split(" ")
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k, Number(v)]),
  );
}

export interface CountingProxy {
  url: string;
  requests: number;
  /** Response body bytes sent to clients. */
  bytes: number;
  byMethod: Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

/** A pass-through HTTP proxy in front of `target` that counts requests and response bytes. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const state = { requests: 0, bytes: 0, byMethod: {} as Record<string, number> };
  const server = http.createServer((req, res) => {
    state.requests++;
    state.byMethod[req.method ?? "?"] = (state.byMethod[req.method ?? "?"] ?? 0) + 1;
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on("data", (chunk: Buffer) => (state.bytes += chunk.length));
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    get bytes() {
      return state.bytes;
    },
    get byMethod() {
      return { ...state.byMethod };
    },
    reset() {
      state.requests = 0;
      state.bytes = 0;
      state.byMethod = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes and deletes `bytes` of scratch file, so the run that follows finds that much free memory
 * the kernel has just used. This VM backs guest memory lazily (virtio-balloon free page reporting
 * and DAMON pageout are on): the first process to fill cold pages pays a host fault per page,
 * which showed as 0.3–0.9 s of kernel time in `copy_folio_from_iter_atomic` in whichever run met
 * them (perf), depending on what ran before. Every tool gets the same start this way.
 */
export async function primeMemory(bytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bench-prime-"));
  try {
    const { code, stderr } = await run("dd", [
      "if=/dev/zero",
      `of=${join(dir, "scratch")}`,
      "bs=1M",
      `count=${Math.ceil(bytes / (1 << 20))}`,
      "status=none",
    ]);
    if (code !== 0) throw new Error(`dd failed: ${stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Flushes every dirty page to disk, so one run's writeback does not slow the next one down. */
export async function flushDisk(): Promise<void> {
  const { code } = await run("sync", []);
  if (code !== 0) throw new Error("sync failed");
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);
