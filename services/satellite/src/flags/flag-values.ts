// Flag values shared by the satellite's commands: listen addresses, durations, counts. Each
// mistake is a UsageError naming the flag.
import { UsageError } from "./usage-error.js";

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseAddr(addr: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new UsageError(`--addr must be HOST:PORT, got '${addr}'`);
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `90s`, `15m`, `6h`, `1d`, or plain milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new UsageError(`${flag} must be a duration like 30s, 15m, 6h or 1d, got '${value}'`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[match[2] ?? "ms"] as number;
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new UsageError(`${flag} must be positive`);
  return ms;
}

/** A positive integer. */
export function parseCount(value: string, flag: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new UsageError(`${flag} must be a positive whole number, got '${value}'`);
  return Number(value);
}
