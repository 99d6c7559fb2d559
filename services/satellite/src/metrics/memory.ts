// Memory in use on the device: total minus what the kernel says is available (libuv reads
// MemAvailable from /proc/meminfo, so page cache the kernel can drop does not count as used).
import { freemem, totalmem } from "node:os";

export function memoryUsedBytes(
  read: { total: () => number; available: () => number } = { total: totalmem, available: freemem },
): number {
  return Math.max(0, read.total() - read.available());
}
