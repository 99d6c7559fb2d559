// Collapses concurrent work on the same key into one run: the first caller starts it, later
// callers share its promise until it settles (two images sharing a layer fetch it once).

export interface Inflight<T> {
  /** Runs `work` unless a run for `key` is in flight; `joined` tells which happened. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean };
  readonly size: number;
}

export function createInflight<T>(): Inflight<T> {
  const running = new Map<string, Promise<T>>();
  return {
    run(key, work) {
      const existing = running.get(key);
      if (existing) return { promise: existing, joined: true };
      const promise = work().finally(() => running.delete(key));
      running.set(key, promise);
      return { promise, joined: false };
    },
    get size() {
      return running.size;
    },
  };
}
