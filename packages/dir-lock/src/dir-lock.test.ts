import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirectoryLockedError, lockDirectory } from "./dir-lock.js";

const FIXTURE = fileURLToPath(new URL("./lock-holder.fixture.ts", import.meta.url));

interface Child {
  proc: ChildProcess;
  /** Resolves with the next line the child prints. */
  line(): Promise<string>;
}

function startChild(dir: string): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", FIXTURE, dir], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffered = "";
  proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  return {
    proc,
    line: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r))),
  };
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
}

/** A pid that no process has any more: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

/** Starts `count` children, lets them all go at once, and returns what each printed. */
async function race(dir: string, count: number): Promise<{ children: Child[]; results: string[] }> {
  const children = Array.from({ length: count }, () => startChild(dir));
  for (const child of children) expect(await child.line()).toBe("ready");
  for (const child of children) child.proc.stdin!.write("go\n");
  return { children, results: await Promise.all(children.map((c) => c.line())) };
}

describe("directory lock", () => {
  let root: string;
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), "dir-lock-")));
    dir = join(root, "pglite");
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill("SIGKILL");
      await exited(child);
    }
    await rm(root, { recursive: true, force: true });
  });

  it("refuses a second lock of one directory in one process, naming this pid, until the first is released", async () => {
    const first = await lockDirectory(dir);
    expect((await stat(first.path)).mode & 0o777).toBe(0o700);
    const second = await lockDirectory(dir).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(DirectoryLockedError);
    expect((second as DirectoryLockedError).pid).toBe(process.pid);
    expect((second as DirectoryLockedError).message).toContain(dir);
    await first.release();
    await first.release(); // twice is harmless
    const again = await lockDirectory(dir);
    await again.release();
  });

  it("takes over a lock left by a process that is gone, and removes what it left", async () => {
    const lockPath = `${dir}.lock`;
    const first = await lockDirectory(dir);
    await first.release();
    const gone = await deadPid();
    await writeFile(join(lockPath, "7"), `${gone} -\n`);
    await writeFile(join(lockPath, `tmp-${gone}-leftover`), `${gone} -\n`);
    const lock = await lockDirectory(dir);
    expect(await readdir(lockPath)).toEqual(["8"]);
    expect((await readFile(join(lockPath, "8"), "utf8")).split(" ")[0]).toBe(String(process.pid));
    await lock.release();
  });

  it("takes over a lock naming our own pid that this process does not hold (a previous life as pid 1)", async () => {
    await lockDirectory(dir).then((l) => l.release());
    await writeFile(join(`${dir}.lock`, "9"), `${process.pid} -\n`);
    const lock = await lockDirectory(dir);
    await lock.release();
  });

  it("treats a live pid with another start time as a reused pid where /proc tells start times", async () => {
    await lockDirectory(dir).then((l) => l.release());
    await writeFile(join(`${dir}.lock`, "9"), `${process.ppid} 1\n`); // our parent, but it did not start at tick 1
    const result = await lockDirectory(dir).then(
      (lock) => lock.release().then(() => "taken"),
      (error: unknown) => (error instanceof DirectoryLockedError ? `locked ${error.pid}` : error),
    );
    expect(result).toBe(existsSync(`/proc/${process.ppid}/stat`) ? "taken" : `locked ${process.ppid}`);
  });

  it("refuses while another process holds it and takes it over once that process is killed -9", async () => {
    const holder = startChild(dir);
    children.push(holder.proc);
    expect(await holder.line()).toBe("ready");
    holder.proc.stdin!.write("go\n");
    expect(await holder.line()).toBe("won");
    const refused = await lockDirectory(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DirectoryLockedError);
    expect((refused as DirectoryLockedError).pid).toBe(holder.proc.pid);
    expect((refused as Error).message).toBe(
      `directory ${dir} is in use by process ${holder.proc.pid} (lock ${dir}.lock)`,
    );
    holder.proc.kill("SIGKILL");
    await exited(holder.proc);
    const lock = await lockDirectory(dir);
    await lock.release();
  });

  it("lets exactly one of many processes starting at one instant win, on a fresh and on a stale lock", async () => {
    for (const setup of ["fresh", "stale"] as const) {
      if (setup === "stale") await writeFile(join(`${dir}.lock`, "3"), `${await deadPid()} -\n`);
      const { children: racers, results } = await race(dir, 6);
      children.push(...racers.map((r) => r.proc));
      const winners = racers.filter((_, i) => results[i] === "won");
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(results.filter((r) => r !== "won")).toEqual(Array(5).fill(`locked ${winner.proc.pid}`));
      winner.proc.stdin!.end(); // a clean release marks the lock free
      await Promise.all(racers.map((r) => exited(r.proc)));
      expect(winner.proc.exitCode).toBe(0);
    }
    const lock = await lockDirectory(dir);
    await lock.release();
  });
});
