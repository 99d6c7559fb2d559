// CPU time of the benchmark's processes from /proc, so the report can say how the two cores
// were split between the load generator, Ground Control and PostgreSQL.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const TICKS_PER_SECOND = 100;

/** utime + stime of one process, in seconds; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The postmaster's pid, from its data folder. */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
}

/** CPU seconds of the postmaster and all its backends, including ones that exited (cutime). */
export function postgresCpuSeconds(postmaster: number): number {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${postmaster}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, and the reaped children's cutime, cstime.
    total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      // exited between readdir and read
    }
  }
  return total;
}

/** Whole-machine busy and total CPU seconds, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** CPU seconds of a process and its live children (Ground Control's cluster workers). */
export function processTreeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) total += cpuSeconds(Number(entry));
    } catch {
      // the process ended between readdir and read
    }
  }
  return total;
}
