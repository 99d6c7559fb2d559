// Whether the process that wrote a lock is still the one running under its pid. Where
// /proc/<pid>/stat is readable (Linux) it also gives the start time, so a pid reused by an
// unrelated process after a kill -9 does not keep a lock alive, and the state, so a zombie holds
// nothing. Otherwise (no /proc, or a pid hidden by hidepid) signal 0 says whether the pid exists.
import { readFile } from "node:fs/promises";

/** A process as recorded in a lock: pid, and start time in clock ticks since boot when known. */
export interface ProcessMark {
  pid: number;
  start?: string;
}

interface ProcStat {
  state: string;
  start: string;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // Field 3 (state) is fields[0]; field 22 (starttime) is fields[19].
    return { state: fields[0] ?? "", start: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

/** This process's mark: written into the locks it takes. */
export async function currentProcessMark(): Promise<ProcessMark> {
  const stat = await procStat(process.pid);
  return stat?.start ? { pid: process.pid, start: stat.start } : { pid: process.pid };
}

/** True while the process that recorded `mark` still runs: not exited, not a zombie, pid not reused. */
export async function isRunning(mark: ProcessMark): Promise<boolean> {
  const stat = await procStat(mark.pid);
  if (!stat) return signalZeroSucceeds(mark.pid);
  if (stat.state === "Z" || stat.state === "X") return false;
  return mark.start === undefined || mark.start === stat.start;
}

function signalZeroSucceeds(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user, so it runs.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
