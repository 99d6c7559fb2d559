// Runs `satellite serve` as a real child process (node bin/satellite.mjs serve …), for tests,
// benchmarks and crash trials that need the registry exactly as an operator starts it.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** bin/satellite.mjs at the repository root. */
export const SATELLITE_BIN = fileURLToPath(new URL("../../../../bin/satellite.mjs", import.meta.url));

export interface ServeProcessOptions {
  dataDir: string;
  /** Port to listen on; 0 lets the process pick (read back from its first line). */
  port?: number;
  host?: string;
  readOnly?: boolean;
  /** --registry-write-credentials-file: writes need these Basic credentials. */
  writeCredentialsFile?: string;
  logLevel?: string;
  extraArgs?: string[];
}

export interface ServeProcess {
  url: string;
  host: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
}

export async function startServeProcess(options: ServeProcessOptions): Promise<ServeProcess> {
  const host = options.host ?? "127.0.0.1";
  const args = [
    SATELLITE_BIN,
    "serve",
    "--data-dir",
    options.dataDir,
    "--addr",
    `${host}:${options.port ?? 0}`,
    "--log-level",
    options.logLevel ?? "warn",
  ];
  if (options.readOnly) args.push("--read-only");
  if (options.writeCredentialsFile) args.push("--registry-write-credentials-file", options.writeCredentialsFile);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, "exit");
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`satellite serve did not start within 30s: ${stderr}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`satellite serve exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
  child.stdout?.resume();
  const port = Number(new URL(url).port);
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  return {
    url,
    host: `${host}:${port}`,
    port,
    pid: child.pid as number,
    child,
    stop: () => stopWith("SIGTERM"),
    kill: () => stopWith("SIGKILL"),
  };
}
