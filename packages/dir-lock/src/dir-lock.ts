// One process owns a data directory: two PGlite instances on one directory each keep their own
// picture of it and overwrite each other's pages (acknowledged writes vanish); two satellites on
// one store each keep their own index in memory and overwrite each other's tags.
//
// The lock is a folder of numbered slots (beside the directory unless the caller names it). The highest slot says
// who holds it: "<pid> <start>" of a process, or "free" after a clean release. Every change of
// holder creates the next slot with link(2), which fails when the name exists, so of processes
// that saw the same highest slot exactly one moves it on: two starting at the same instant, or
// two taking over the same stale lock, never both win. A slot is written in full before it
// appears (written under a temporary name, then linked), so readers never see a half-written
// one. The holder deletes the slots below its own; a process that acted on an old picture and
// recreated a deleted slot then sees a higher one and backs off.
//
// A lock whose holder is gone (kill -9, power loss) is taken over; so is one holding our own pid
// but not held by this process, which can only be a previous life of it (a container restarted as
// pid 1). Within one process, a second lock of the same directory fails like another process's.
import { randomUUID } from "node:crypto";
import { chmod, link, mkdir, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { currentProcessMark, isRunning, type ProcessMark } from "./process-liveness.js";

/** Another process (or this one) already holds the directory. Callers say it in their own words. */
export class DirectoryLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly lockPath: string,
    /** The holder's pid; undefined when the lock kept changing hands while we looked. */
    readonly pid: number | undefined,
  ) {
    super(`directory ${dir} is in use by ${describeHolder(pid)} (lock ${lockPath})`);
    this.name = "DirectoryLockedError";
  }
}

/** "process 42", "this process (pid 42)", or "another process" when the holder kept changing. */
export function describeHolder(pid: number | undefined): string {
  return pid === undefined ? "another process" : pid === process.pid ? `this process (pid ${pid})` : `process ${pid}`;
}

export interface LockOptions {
  /** The lock folder; `<dir>.lock` beside the directory by default. */
  lockPath?: string;
}

export interface DirectoryLock {
  /** The lock folder. */
  readonly path: string;
  /** Hands the directory back (marks the lock free); safe to call twice. */
  release(): Promise<void>;
}

// The lock folders this process holds (their parents' real paths).
const heldHere = new Set<string>();
const MAX_ATTEMPTS = 50;
const FREE = "free";

type Holder = { kind: "free" } | { kind: "process"; mark: ProcessMark } | { kind: "unreadable" };

/** Takes the lock of `dir` (a folder, mode 0700: `<dir>.lock` unless `lockPath`) or throws DirectoryLockedError. */
export async function lockDirectory(dir: string, options: LockOptions = {}): Promise<DirectoryLock> {
  const absolute = resolve(dir);
  const named =
    options.lockPath === undefined ? join(dirname(absolute), `${basename(absolute)}.lock`) : resolve(options.lockPath);
  await mkdir(dirname(named), { recursive: true, mode: 0o700 });
  // Through the parent's real path, so processes reaching the data dir by different links agree.
  const lockPath = join(await realpath(dirname(named)), basename(named));
  await mkdir(lockPath, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  await chmod(lockPath, 0o700);
  if (heldHere.has(lockPath)) throw new DirectoryLockedError(absolute, lockPath, process.pid);
  heldHere.add(lockPath);
  try {
    const slot = await takeSlot(absolute, lockPath);
    let released = false;
    return {
      path: lockPath,
      release: async () => {
        if (released) return;
        released = true;
        try {
          await markFree(lockPath, slot);
        } finally {
          heldHere.delete(lockPath);
        }
      },
    };
  } catch (error) {
    heldHere.delete(lockPath);
    throw error;
  }
}

async function takeSlot(dir: string, lockPath: string): Promise<number> {
  const mark = await currentProcessMark();
  const temp = await writeTemp(lockPath, `${mark.pid} ${mark.start ?? "-"}\n`);
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const top = await highestSlot(lockPath);
      if (top !== undefined) {
        const holder = await readSlot(lockPath, top);
        if (holder === undefined) continue; // deleted under us: look again
        if (holder.kind === "process" && (await holdsIt(holder.mark))) {
          throw new DirectoryLockedError(dir, lockPath, holder.mark.pid);
        }
      }
      const next = (top ?? 0) + 1;
      if (!(await linkSlot(temp, lockPath, next))) continue; // someone else moved it on first
      if ((await highestSlot(lockPath)) !== next) {
        await rm(slotPath(lockPath, next), { force: true }); // we acted on an old picture
        continue;
      }
      await removeLeftovers(lockPath, next);
      return next;
    }
    throw new DirectoryLockedError(dir, lockPath, undefined); // it kept changing hands
  } finally {
    await rm(temp, { force: true });
  }
}

/** A live holder other than ourselves; our own pid not held here is a previous life (see header). */
async function holdsIt(mark: ProcessMark): Promise<boolean> {
  if (mark.pid === process.pid) return false;
  return isRunning(mark);
}

async function markFree(lockPath: string, slot: number): Promise<void> {
  // Only the holder moves the lock on from its own slot; if ours is no longer the highest, someone
  // took it over (believing us dead) and it is theirs now.
  if ((await highestSlot(lockPath)) !== slot) return;
  const temp = await writeTemp(lockPath, `${FREE}\n`);
  try {
    if (await linkSlot(temp, lockPath, slot + 1)) await rm(slotPath(lockPath, slot), { force: true });
  } finally {
    await rm(temp, { force: true });
  }
}

function slotPath(lockPath: string, slot: number): string {
  return join(lockPath, String(slot));
}

async function writeTemp(lockPath: string, text: string): Promise<string> {
  const temp = join(lockPath, `tmp-${process.pid}-${randomUUID()}`);
  await writeFile(temp, text, { mode: 0o600, flag: "wx" });
  return temp;
}

/** Creates slot `slot` as a link to `temp`; false when it exists already. */
async function linkSlot(temp: string, lockPath: string, slot: number): Promise<boolean> {
  try {
    await link(temp, slotPath(lockPath, slot));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

async function highestSlot(lockPath: string): Promise<number | undefined> {
  let top: number | undefined;
  for (const name of await readdir(lockPath)) {
    if (!/^[1-9][0-9]{0,14}$/.test(name)) continue;
    const slot = Number(name);
    if (top === undefined || slot > top) top = slot;
  }
  return top;
}

/** The holder a slot names; undefined when the slot is gone. Garbage counts as no live holder. */
async function readSlot(lockPath: string, slot: number): Promise<Holder | undefined> {
  let text: string;
  try {
    text = (await readFile(slotPath(lockPath, slot), "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (text === FREE) return { kind: "free" };
  const [pidText, start] = text.split(" ");
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return { kind: "unreadable" };
  return { kind: "process", mark: start && start !== "-" ? { pid, start } : { pid } };
}

/** Slots below ours, and temporary files of processes that died while taking the lock. */
async function removeLeftovers(lockPath: string, ours: number): Promise<void> {
  for (const name of await readdir(lockPath)) {
    if (/^[0-9]+$/.test(name)) {
      if (Number(name) < ours) await rm(join(lockPath, name), { force: true });
      continue;
    }
    const temp = /^tmp-([0-9]+)-/.exec(name);
    if (temp && Number(temp[1]) !== process.pid && !(await isRunning({ pid: Number(temp[1]) }))) {
      await rm(join(lockPath, name), { force: true });
    }
  }
}
