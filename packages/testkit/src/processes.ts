// Starting and stopping the project's own binaries as real processes (end-to-end tests, the quickstart).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface RunningProcess {
  proc: ChildProcess;
  /** Everything it printed, stdout and stderr interleaved. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** The folder holding bin/ (default the checkout; an assembled image folder, say). */
  root?: string;
  /** A command the process runs under, e.g. `setpriv --reuid=65534 …`. */
  prefix?: string[];
}

export function startProcess(
  bin: "ground-control" | "satellite",
  args: string[],
  env: NodeJS.ProcessEnv,
  options: StartOptions = {},
): RunningProcess {
  const root = options.root ?? REPO_ROOT;
  const argv = [process.execPath, `${root.replace(/\/?$/, "/")}bin/${bin}.mjs`, ...args];
  const [command, ...rest] = [...(options.prefix ?? []), ...argv];
  const proc = spawn(command, rest, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-200_000));
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return {
    proc,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const code = await new Promise<number | null>((r) => proc.once("exit", (exitCode) => r(exitCode)));
      clearTimeout(timer);
      return code;
    },
  };
}

/** Thrown by a check to stop polling at once. */
export class GiveUp extends Error {}

/** Polls `check` until it returns a value, or fails with the last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`);
}

export async function waitForHttp(url: string, proc: RunningProcess, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      if (proc.proc.exitCode !== null) throw new GiveUp(`process exited with ${proc.proc.exitCode}: ${proc.output()}`);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    },
    timeoutMs,
    `${url} answering`,
  );
}
