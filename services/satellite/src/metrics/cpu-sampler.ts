// CPU use between two heartbeats, as a percentage of all cores. Each sample reads the kernel's
// cumulative per-core counters (os.cpus(), i.e. /proc/stat) and compares them with the previous
// sample: no waiting, unlike the original, which blocked its heartbeat for a whole interval
// measuring. The first sample covers the time since the sampler was made.
import { cpus } from "node:os";

export interface CpuTimes {
  /** Milliseconds spent busy (user, nice, sys, irq), summed over cores. */
  busy: number;
  /** Milliseconds in total, idle included, summed over cores. */
  total: number;
}

export interface CpuSampler {
  /** Percent (0–100) of all cores busy since the previous call. */
  sample(): number;
}

export function readCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    total += used + times.idle;
  }
  return { busy, total };
}

export function createCpuSampler(read: () => CpuTimes = readCpuTimes): CpuSampler {
  let previous = read();
  return {
    sample() {
      const current = read();
      const total = current.total - previous.total;
      const busy = current.busy - previous.busy;
      previous = current;
      if (total <= 0) return 0;
      // Counters can step back after CPU hotplug; clamp instead of reporting nonsense.
      return Math.min(100, Math.max(0, (busy / total) * 100));
    },
  };
}
