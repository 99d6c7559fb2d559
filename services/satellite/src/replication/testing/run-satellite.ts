// Runs the real `satellite` command line (node bin/satellite.mjs) for integration and fault
// tests: to completion, or started and handed back so a test can kill it.
import { spawn, type ChildProcess } from "node:child_process";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort } from "@harbor-satellite/testkit";

export const SATELLITE_BIN = new URL("../../../../../bin/satellite.mjs", import.meta.url).pathname;

export interface SatelliteRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `satellite <args>`; `done` settles when it exits. */
export function startSatellite(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<SatelliteRun> } {
  const child = spawn(process.execPath, [SATELLITE_BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-200_000)));
  const done = new Promise<SatelliteRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `satellite <args>` to the end. */
export function runSatellite(args: string[], env?: NodeJS.ProcessEnv): Promise<SatelliteRun> {
  return startSatellite(args, env).done;
}

/**
 * Runs `satellite serve` over `dataDir` on a free loopback port, hands `body` a registry client of
 * it once it is listening, and stops it (SIGTERM, waiting for the exit) whatever `body` does.
 */
export async function withServe(dataDir: string, body: (local: RegistryClient) => Promise<void>): Promise<void> {
  const port = await freePort();
  const serve = startSatellite(["serve", "--data-dir", dataDir, "--addr", `127.0.0.1:${port}`, "--log-level", "warn"]);
  try {
    await waitForLine(serve.child, /listening on/);
    const local = createRegistryClient({ url: `http://127.0.0.1:${port}` });
    try {
      await body(local);
    } finally {
      local.close();
    }
  } finally {
    serve.child.kill("SIGTERM");
    await serve.done;
  }
}

/** `sync --once` arguments. */
export function syncOnceArgs(upstream: string, images: string[], dataDir: string, extra: string[] = []): string[] {
  return [
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

/** The key=value pairs of the summary (last stdout line). */
export function summaryOf(run: SatelliteRun): Record<string, number> {
  const last = run.stdout.trim().split("\n").pop() ?? "";
  return Object.fromEntries(
    last
      .split(" ")
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k, Number(v)]),
  );
}

/** Resolves with the first stdout line matching `pattern` (e.g. serve's "listening on"). */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) finish(undefined, line);
    };
    const onClose = () => finish(new Error(`exited before printing a line matching ${pattern}`));
    const finish = (error?: Error, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("close", onClose);
      if (error) reject(error);
      else resolve(line!);
    };
    child.stdout?.on("data", onData);
    child.on("close", onClose);
  });
}
