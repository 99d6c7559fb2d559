// A private containerd daemon for tests: its own root, state, socket and a minimal config (CRI
// off, since a test has no CNI), started as root (ctr needs a daemon) and stopped afterwards.
// Layers unpack with the native snapshotter, which needs no overlayfs support from the host.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const CONTAINERD_BIN = process.env.CONTAINERD_BIN ?? "/usr/bin/containerd";
export const CTR_BIN = process.env.CTR_BIN ?? "/usr/bin/ctr";

export interface Containerd {
  socket: string;
  /** Runs `ctr -a <socket> --namespace test …`. */
  ctr(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startContainerd(dir: string): Promise<Containerd> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  await writeFile(
    config,
    [
      "version = 2",
      `root = "${join(dir, "root")}"`,
      `state = "${join(dir, "state")}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      "[grpc]",
      `  address = "${socket}"`,
      "[ttrpc]",
      `  address = "${socket}.ttrpc"`,
      "[debug]",
      '  level = "warn"',
      "[metrics]",
      '  address = ""',
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(CONTAINERD_BIN, ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, "exit");
  const ctr = async (...args: string[]) => {
    try {
      return (
        await run(CTR_BIN, ["-a", socket, "--namespace", "test", ...args], { timeout: 120_000, maxBuffer: 16 << 20 })
      ).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`ctr ${args.join(" ")}: ${e.stderr || e.message}`, { cause: error });
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`containerd exited: ${stderr}`);
    try {
      await access(socket);
      await ctr("version");
      return { socket, ctr, stop };
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`containerd did not answer within 30s: ${(error as Error).message} ${stderr}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
