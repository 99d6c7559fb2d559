// Group commit for heartbeats. Concurrent Sync calls queue here. Batches start at most every
// `lingerMs` (at once when `maxBatch` rows wait), and while one is being written the next waits
// for it, so batch size follows load and one commit (one WAL flush) serves many calls. Each
// caller's promise settles only after its batch committed.
//
// At most one row per key (satellite) is in flight at a time, across all concurrent batches:
// a satellite's heartbeats are therefore committed in arrival order (its latest heartbeat is its
// newest), and two concurrent batches never update the same satellite row, so they neither wait
// on each other's row locks nor deadlock.
import { UnavailableError } from "@harbor-satellite/rpc";

export interface BatcherOptions<T, R> {
  /** Writes one batch; returns one result per item, in order. Rejecting fails the whole batch. */
  write(items: readonly T[]): Promise<R[]>;
  /** Items with equal keys are never in flight together. */
  keyOf(item: T): number;
  /** Largest batch (rows per statement). */
  maxBatch: number;
  /** Least time between batch starts (unless a batch is full): how long rows gather company. */
  lingerMs: number;
  /** Concurrent batch writes (database connections used for ingest). */
  maxInFlight: number;
  /** Queued rows beyond which new calls are refused (Unavailable), so overload cannot grow memory. */
  maxQueued: number;
  /** Told of every batch written (metrics). */
  observer?: BatchObserver;
}

export interface BatchObserver {
  /** A batch of `size` rows was written, or its write rejected (`failed`); `queuedAt(i)`: when row i was submitted (performance.now()). */
  batchWritten(size: number, failed: boolean, queuedAt: (i: number) => number): void;
}

export interface BatcherStats {
  batches: number;
  rows: number;
  largestBatch: number;
  failedBatches: number;
  /** Total milliseconds spent in writes. */
  writeMs: number;
}

interface Entry<T, R> {
  item: T;
  key: number;
  /** performance.now() at submit. */
  queuedAt: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class IngestBatcher<T, R> {
  private queue: Entry<T, R>[] = [];
  private readonly keysInFlight = new Set<number>();
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private closed = false;
  private idle: (() => void) | undefined;
  private readonly counters: BatcherStats = { batches: 0, rows: 0, largestBatch: 0, failedBatches: 0, writeMs: 0 };

  constructor(private readonly options: BatcherOptions<T, R>) {}

  /** Queues one item; resolves with its result once its batch has committed. */
  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new UnavailableError("heartbeat ingest is shutting down"));
    if (this.queue.length >= this.options.maxQueued)
      return Promise.reject(new UnavailableError("heartbeat ingest is overloaded; retry later"));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, key: this.options.keyOf(item), queuedAt: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Counters since start, for logs and the benchmark. */
  stats(): BatcherStats {
    return { ...this.counters };
  }

  /** Rows waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  /** Refuses new items, writes everything queued, and waits for running writes. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    while (this.queue.length > 0 || this.inFlight > 0) {
      this.dispatch(true);
      await new Promise<void>((resolve) => (this.idle = resolve));
    }
  }

  /**
   * After a submit. With no write running, the row lingers (up to lingerMs since the last batch
   * started) for company. With a write running, rows wait for it to finish: the next batch then
   * holds everything that arrived meanwhile, so batches grow with load and commits stay few.
   * Only full batches start parallel writes.
   */
  private schedule(): void {
    if (this.inFlight === 0) {
      if (this.queue.length >= this.options.maxBatch) this.dispatch(false);
      else this.armTimer();
    } else if (this.queue.length >= this.options.maxBatch && this.inFlight < this.options.maxInFlight) {
      this.dispatch(false);
    }
  }

  private armTimer(): void {
    if (this.timer) return;
    const wait = Math.max(
      0,
      Math.min(this.options.lingerMs, this.lastStart + this.options.lingerMs - performance.now()),
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dispatch(false);
    }, wait);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts one batch write, and more while full batches wait and slots are free (`all`: until the queue is empty). */
  private dispatch(all: boolean): void {
    this.cancelTimer();
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return; // every queued row waits for its satellite's running write
      this.lastStart = performance.now();
      void this.run(batch);
      if (!all && this.queue.length < this.options.maxBatch) return;
    }
  }

  /** Takes up to maxBatch entries whose keys are neither in flight nor already in the batch. */
  private take(): Entry<T, R>[] {
    const max = this.options.maxBatch;
    const keys = this.keysInFlight;
    const batch: Entry<T, R>[] = [];
    const rest: Entry<T, R>[] = [];
    for (const entry of this.queue) {
      if (batch.length < max && !keys.has(entry.key)) {
        keys.add(entry.key);
        batch.push(entry);
      } else rest.push(entry);
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: Entry<T, R>[]): Promise<void> {
    this.inFlight++;
    const started = performance.now();
    const items = batch.map((e) => e.item);
    try {
      const results = await this.options.write(items);
      for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
      this.count(batch, started, false);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      this.count(batch, started, true);
    } finally {
      for (const entry of batch) this.keysInFlight.delete(entry.key);
      this.inFlight--;
      this.afterWrite();
    }
  }

  private afterWrite(): void {
    if (this.closed) {
      const idle = this.idle;
      this.idle = undefined;
      idle?.();
      return;
    }
    if (this.queue.length === 0) return;
    // Rows queued during the write have waited; still, a batch per lingerMs at most, so that
    // under load each commit carries many rows (a commit costs PostgreSQL about as much CPU as
    // tens of rows).
    if (this.queue.length >= this.options.maxBatch || performance.now() - this.lastStart >= this.options.lingerMs)
      this.dispatch(false);
    else this.armTimer();
  }

  private count(batch: Entry<T, R>[], started: number, failed: boolean): void {
    const rows = batch.length;
    this.options.observer?.batchWritten(rows, failed, (i) => batch[i].queuedAt);
    const c = this.counters;
    c.batches++;
    c.rows += rows;
    c.writeMs += performance.now() - started;
    if (rows > c.largestBatch) c.largestBatch = rows;
    if (failed) c.failedBatches++;
  }
}
