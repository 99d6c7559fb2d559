// Every listener's limits, set once here. A client that opens a connection and sends nothing, or
// trickles its headers, or sits idle on a keep-alive connection, or opens more connections than
// the process has file descriptors for, must not lock other clients out: each of those is cut
// by one of these numbers. Ground Control and the satellite take the defaults and may override
// single fields from their configuration.
import { readFileSync } from "node:fs";

export interface ServerLimits {
  /** A new connection must send its first byte (or finish its TLS handshake) within this. */
  firstByteMs: number;
  /** A request's headers must arrive in full within this (slow-loris). */
  headersMs: number;
  /**
   * The whole request (headers and body) must arrive within this; 0 for none, where uploads may
   * legitimately take hours (the satellite's registry), leaving `idleMs` to cut stalled ones.
   */
  requestMs: number;
  /** A connection (or HTTP/2 session, or stream) with no bytes either way for this long is closed. */
  idleMs: number;
  /** How long an HTTP/1.1 keep-alive connection may wait for its next request. */
  keepAliveMs: number;
  /** Open connections in all; past it new connections are closed at once. */
  maxConnections: number;
  /** Open connections from one source address. */
  maxConnectionsPerSource: number;
  /** Concurrent streams per HTTP/2 session. */
  maxConcurrentStreams: number;
  /** Request header fields per request (HTTP/1.1). */
  maxHeadersCount: number;
}

/** File descriptors kept back from the connection cap for the database, data files and logs. */
export const RESERVED_DESCRIPTORS = 128;

/** The process's soft limit on open files (Linux `/proc/self/limits`), when it can be read. */
export function openFileLimit(
  read: () => string = () => readFileSync("/proc/self/limits", "utf8"),
): number | undefined {
  try {
    const line = read()
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    const value = soft === undefined ? Number.NaN : Number.parseInt(soft, 10);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connection cap: 16,384, or fewer when the file limit is lower, so that a flood of
 * connections is refused by the cap (which answers the next client once one closes) before
 * accept() fails with EMFILE (which leaves the database and data files unopenable too).
 */
export function connectionCapFor(fileLimit: number | undefined): number {
  const ceiling = 16_384;
  if (fileLimit === undefined) return ceiling;
  return Math.max(16, Math.min(ceiling, Math.floor(fileLimit * 0.75), fileLimit - RESERVED_DESCRIPTORS));
}

/**
 * Defaults for a listener. One source may hold an eighth of the connections (at least 64): many
 * satellites behind one NAT address still fit, while one client alone cannot fill the table.
 */
export function defaultLimits(fileLimit: number | undefined = openFileLimit()): ServerLimits {
  const maxConnections = connectionCapFor(fileLimit);
  return {
    firstByteMs: 10_000,
    headersMs: 20_000,
    requestMs: 120_000,
    idleMs: 120_000,
    keepAliveMs: 65_000,
    maxConnections,
    maxConnectionsPerSource: Math.min(maxConnections, Math.max(64, Math.floor(maxConnections / 8))),
    maxConcurrentStreams: 256,
    maxHeadersCount: 200,
  };
}

/** Fields that must be positive integers, and those where 0 means "none". */
const MAY_BE_ZERO: ReadonlySet<keyof ServerLimits> = new Set(["requestMs"]);

/** Overrides on top of the defaults, each checked; throws a RangeError naming a bad field. */
export function resolveLimits(
  overrides: Partial<ServerLimits> = {},
  base: ServerLimits = defaultLimits(),
): ServerLimits {
  const limits = { ...base };
  for (const [key, value] of Object.entries(overrides) as [keyof ServerLimits, number | undefined][]) {
    if (value === undefined) continue;
    const min = MAY_BE_ZERO.has(key) ? 0 : 1;
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`server limit ${key} must be an integer ≥ ${min}, got ${value}`);
    limits[key] = value;
  }
  if (limits.maxConnectionsPerSource > limits.maxConnections) limits.maxConnectionsPerSource = limits.maxConnections;
  // A shorter idle timeout bounds keep-alive waits too (Node swaps the socket's idle timer for the
  // keep-alive one between requests), and headers cannot take longer than the whole request.
  if (limits.keepAliveMs > limits.idleMs) limits.keepAliveMs = limits.idleMs;
  if (limits.requestMs > 0 && limits.headersMs > limits.requestMs) limits.headersMs = limits.requestMs;
  return limits;
}
