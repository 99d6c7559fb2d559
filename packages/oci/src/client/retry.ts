// Which failures are worth another attempt, and how long to wait before it: exponential backoff
// with full jitter (delay drawn from [0, min(cap, base·2^attempt)]), or the server's Retry-After
// when it sent one. 4xx answers other than 401 (handled by the auth layer) and 429 are final.

export interface RetryOptions {
  /** Attempts in total, the first included (default 5). */
  attempts?: number;
  /** First backoff ceiling in ms (default 200). */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms (default 10 000). */
  maxDelayMs?: number;
  /** Largest Retry-After honoured, in ms; longer waits fail at once (default 60 000). */
  maxRetryAfterMs?: number;
  /** Source of randomness in [0, 1), for tests. */
  random?: () => number;
}

export interface RetryPolicy {
  readonly attempts: number;
  /** Delay before attempt `attempt + 1` (attempt counts from 0), honouring Retry-After. */
  delayMs(attempt: number, retryAfter?: string | null): number | undefined;
}

export function createRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 10_000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const random = options.random ?? Math.random;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError("retry attempts must be an integer >= 1");
  if (base < 0 || cap < base) throw new RangeError("retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs");
  return {
    attempts,
    delayMs(attempt, retryAfter) {
      const told = parseRetryAfter(retryAfter);
      if (told !== undefined) return told <= maxRetryAfter ? told : undefined;
      return Math.floor(random() * Math.min(cap, base * 2 ** attempt));
    },
  };
}

/** True for statuses a later attempt may turn into a success: 5xx and 429, no other 4xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

const RETRYABLE_NET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
  "HPE_INVALID_CONSTANT",
  "ERR_HTTP_REQUEST_TIMEOUT",
]);

/** True for transport failures (no HTTP answer) that a new connection may get past. */
export function isRetryableNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && RETRYABLE_NET_CODES.has(code)) return true;
  return error.message === "socket hang up" || error.name === "TimeoutError";
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`, or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
