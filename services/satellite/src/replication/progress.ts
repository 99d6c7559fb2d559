// Byte counters of a pass and the periodic progress line (bytes, rate, ETA). Worker threads add to
// the same counters through a SharedArrayBuffer, so progress costs no messages. A line is logged
// every `intervalMs` while bytes are moving, never more often, whatever the number of blobs.
import type { Logger } from "pino";

export interface ProgressOptions {
  logger: Logger;
  /** Cadence of progress lines (default 3 s). */
  intervalMs?: number;
}

export interface Progress {
  /** Shared with workers: [0] bytes received, [1] upstream requests made by workers. */
  readonly counters: SharedArrayBuffer;
  /** Bytes this pass plans to fetch (known once blobs are planned). */
  expect(bytes: number): void;
  /** Bytes received on the main thread (manifests, small blobs). */
  received(bytes: number): void;
  readonly bytes: number;
  readonly workerRequests: number;
  start(): void;
  stop(): void;
}

export function createProgress(options: ProgressOptions): Progress {
  const counters = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  const view = new BigInt64Array(counters);
  const intervalMs = options.intervalMs ?? 3000;
  let expected = 0;
  let timer: NodeJS.Timeout | undefined;
  let last = { at: 0, bytes: 0 };
  const bytes = () => Number(Atomics.load(view, 0));

  const report = () => {
    const now = performance.now();
    const done = bytes();
    if (done === last.bytes) return;
    const rate = ((done - last.bytes) / (now - last.at)) * 1000;
    const left = Math.max(0, expected - done);
    options.logger.info(
      {
        bytes: done,
        expected_bytes: expected,
        rate_mbps: round(rate / 1e6),
        eta_s: rate > 0 ? Math.ceil(left / rate) : null,
      },
      "replication progress",
    );
    last = { at: now, bytes: done };
  };

  return {
    counters,
    expect: (n) => void (expected += n),
    received: (n) => void Atomics.add(view, 0, BigInt(n)),
    get bytes() {
      return bytes();
    },
    get workerRequests() {
      return Number(Atomics.load(view, 1));
    },
    start() {
      if (timer) return;
      last = { at: performance.now(), bytes: bytes() };
      timer = setInterval(report, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
