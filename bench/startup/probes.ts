// One start-up measurement each: a whole process timed from spawn to exit, or from spawn to the
// first 200 from a URL it serves (then its resident memory after it has sat idle), as a user or
// an orchestrator would see it.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

export type Mode = "bundle" | "source";

export const ROOT = new URL("../../", import.meta.url).pathname;

function envFor(mode: Mode, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, HARBOR_SATELLITE_RUN: mode, LOG_LEVEL: "warn", ...extra };
}

/** Seconds from spawn to exit; fails on a non-zero exit. */
export async function timeToExit(
  mode: Mode,
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [`${ROOT}bin/${bin}.mjs`, ...args], {
    env: envFor(mode, env),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`${bin} ${args.join(" ")} exited ${code}: ${stderr}`);
  return (performance.now() - started) / 1000;
}

export interface Readiness {
  seconds: number;
  /** VmRSS after `idleMs` of idling, MB. */
  idleRssMb: number;
}

/** Seconds from spawn until `url` answers 200, then idle RSS; the process is stopped after. */
export async function timeToReady(
  mode: Mode,
  bin: string,
  args: string[],
  url: string,
  env: NodeJS.ProcessEnv = {},
  idleMs = 3000,
): Promise<Readiness> {
  const started = performance.now();
  const child = spawn(process.execPath, [`${ROOT}bin/${bin}.mjs`, ...args], {
    env: envFor(mode, env),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  try {
    let seconds = 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${bin} exited ${child.exitCode}: ${stderr}`);
      const ok = await fetch(url).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        seconds = (performance.now() - started) / 1000;
        break;
      }
      if (performance.now() - started > 60_000) throw new Error(`${url} not ready in 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, idleMs));
    const status = await readFile(`/proc/${child.pid}/status`, "utf8");
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    return { seconds, idleRssMb: rssKb / 1024 };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
