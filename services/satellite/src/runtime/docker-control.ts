// Making dockerd pick up a changed daemon.json, safely. The original ran `systemctl restart
// docker` and restored the file when that command failed. Here:
//   1. reload (`systemctl reload docker`, SIGHUP: registry-mirrors and insecure-registries are
//      reloadable, and running containers are not stopped), then ask dockerd for its mirrors;
//   2. if the mirror is not there, restart (the original's step) and ask again;
//   3. if dockerd still does not answer with the mirror, put the old daemon.json back (or remove
//      the one we created), restart, and report the failure and whether dockerd answers again.
// The daemon control is injectable: tests hand in a fake; --no-runtime-restart skips all of it.
import { execFile } from "node:child_process";
import { readFile, rm, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { writeFileAtomic } from "../fs/atomic-file.js";
import type { FileEdit } from "./config-file-edit.js";

const run = promisify(execFile);

export interface DaemonControl {
  /** Asks dockerd to re-read daemon.json without stopping containers. */
  reload(): Promise<void>;
  /** Restarts dockerd. */
  restart(): Promise<void>;
  /** dockerd's registry mirrors as it reports them; rejects while it does not answer. */
  mirrors(): Promise<string[]>;
}

export interface SystemDockerControlOptions {
  /** Each command's bound (default 60 s). */
  timeoutMs?: number;
  systemctl?: string;
  docker?: string;
  /** Where dockerd writes its pid: the reload without systemd is a SIGHUP to it. */
  pidFile?: string;
}

/**
 * systemd's docker unit and the docker CLI. Without systemctl (a host with another init), a reload
 * is SIGHUP to the pid in /var/run/docker.pid, and a restart is not possible (it fails).
 */
export function systemDockerControl(options: SystemDockerControlOptions = {}): DaemonControl {
  const exec = async (file: string, args: string[]) =>
    (await run(file, args, { timeout: options.timeoutMs ?? 60_000 })).stdout;
  const systemctl = options.systemctl ?? "systemctl";
  return {
    reload: async () => {
      try {
        await exec(systemctl, ["reload", "docker"]);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        const pid = Number((await readFile(options.pidFile ?? "/var/run/docker.pid", "utf8")).trim());
        if (!Number.isInteger(pid) || pid <= 1)
          throw new Error(`no dockerd pid in ${options.pidFile ?? "/var/run/docker.pid"}`, { cause: error });
        process.kill(pid, "SIGHUP");
      }
    },
    restart: async () => void (await exec(systemctl, ["restart", "docker"])),
    mirrors: async () =>
      JSON.parse(
        (await exec(options.docker ?? "docker", ["info", "--format", "{{json .RegistryConfig.Mirrors}}"])).trim() ||
          "[]",
      ) as string[],
  };
}

export interface DockerApplyOptions {
  control: DaemonControl;
  /** The mirror URL daemon.json now lists, e.g. `http://127.0.0.1:8585`. */
  mirrorUrl: string;
  /** How long dockerd gets to answer after a reload or restart (default 30 s). */
  readyTimeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type DockerApplyOutcome =
  | { applied: "reloaded" | "restarted"; notes: string[] }
  | { applied: false; error: Error; rolledBack: boolean; answering: boolean; notes: string[] };

const normalize = (url: string) => url.replace(/\/+$/, "").toLowerCase();

/** Polls until dockerd answers; true when it lists `mirrorUrl` (when given) within the time. */
async function waitFor(options: DockerApplyOptions, mirrorUrl: string | undefined): Promise<boolean> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    try {
      const mirrors = await options.control.mirrors();
      if (mirrorUrl === undefined || mirrors.map(normalize).includes(normalize(mirrorUrl))) return true;
    } catch {
      // not answering yet
    }
    if (now() >= deadline) return false;
    await sleep(options.pollMs ?? 500);
  }
}

async function restoreFile(edit: FileEdit): Promise<void> {
  if (edit.backup === undefined) {
    await rm(edit.path, { force: true });
    return;
  }
  const mode = (await stat(edit.backup)).mode & 0o7777;
  await writeFileAtomic(edit.path, await readFile(edit.backup), { mode });
}

/** Applies an already written daemon.json change to the running dockerd (see the file comment). */
export async function applyDockerChange(edit: FileEdit, options: DockerApplyOptions): Promise<DockerApplyOutcome> {
  const notes: string[] = [];
  const attempt = async (step: "reload" | "restart"): Promise<boolean> => {
    try {
      await options.control[step]();
    } catch (error) {
      notes.push(`docker ${step} failed: ${(error as Error).message.split("\n")[0]}`);
      return false;
    }
    return waitFor(options, options.mirrorUrl);
  };
  if (await attempt("reload")) return { applied: "reloaded", notes };
  if (await attempt("restart")) return { applied: "restarted", notes };
  let rolledBack = false;
  try {
    await restoreFile(edit);
    rolledBack = true;
    await options.control.restart();
  } catch (error) {
    notes.push(
      `${rolledBack ? "docker restart after the rollback" : `rolling ${edit.path} back`} failed: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const answering = rolledBack && (await waitFor(options, undefined));
  const what = rolledBack
    ? `${edit.path} rolled back${edit.backup ? ` from ${edit.backup}` : " (removed: it did not exist before)"}, docker ${answering ? "answers again" : "does not answer"}`
    : `${edit.path} NOT rolled back`;
  return {
    applied: false,
    error: new Error(`dockerd did not come back with mirror ${options.mirrorUrl}; ${what}`),
    rolledBack,
    answering,
    notes,
  };
}
