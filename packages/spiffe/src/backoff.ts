// Reconnect delays for the Workload API. go-spiffe uses a linear backoff (1 s, +1 s per attempt,
// capped at 30 s) and resets it after every message received; we do the same, with the numbers
// injectable so tests run in milliseconds.

export interface BackoffOptions {
  /** First delay; default 1000 ms. */
  initialMs?: number;
  /** Added per further attempt; default 1000 ms. */
  stepMs?: number;
  /** Cap; default 30000 ms. */
  maxMs?: number;
}

export class LinearBackoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly stepMs: number;
  private readonly maxMs: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.stepMs = options.stepMs ?? 1000;
    this.maxMs = options.maxMs ?? 30_000;
  }

  /** The delay before the next attempt; each call lengthens the following one. */
  next(): number {
    const delay = Math.min(this.initialMs + this.attempt * this.stepMs, this.maxMs);
    this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or early (false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
