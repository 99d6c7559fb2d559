// Where layer copies (blob-fetch-worker.mjs) run: layers up to `onThreadMaxBytes` (32 MiB) on
// this thread, larger ones on a dedicated pool of worker threads. A thread costs ~0.1 s of CPU
// to start (an isolate, Node's bootstrap, the module), which many small layers never earn back:
// their copies wait on round trips and fsync, and hashing one is a fraction of a millisecond per
// 256 KiB read here. Hashing (and TLS) of big layers is what spreads over cores. The pool is
// sized to the cores by default, started lazily (a pass of small layers starts no thread), and
// each thread runs a few copies at once, since a copy mostly waits on sockets and disk: four, so
// that on two cores eight copies run (the upstream's default connections).
import { availableParallelism } from "node:os";
import type { Piscina } from "piscina";
import type fetchBlob from "./blob-fetch-worker.mjs";
import { fromWorkerErrorData } from "./worker-error.js";
import type { FetchBlobOutcome, FetchBlobResult, FetchBlobTask } from "./worker-protocol.js";

/** The copy (plain JavaScript, loaded as is by the threads and, for small layers, here). */
const COPY_MODULE = new URL("./blob-fetch-worker.mjs", import.meta.url).href;

type CopyModule = { default: typeof fetchBlob };

export interface BlobWorkerPoolOptions {
  /** Worker threads (default: the number of cores). */
  threads?: number;
  /** Copies one thread runs at once (default 4). */
  copiesPerThread?: number;
  /** Layers up to this size are copied on this thread (default 32 MiB; 0: every layer on a worker thread). */
  onThreadMaxBytes?: number;
}

/**
 * Measured against every layer on a thread (bench/README.md): 200×1 MB layers 0.93 against 1.06 s
 * (CPU 0.73 against 0.96 s); 20×10 MB over TLS 0.58 against 0.64 s. 4×100 MB over TLS was 5 %
 * slower on this thread alone: big layers keep their threads.
 */
export const DEFAULT_ON_THREAD_MAX_BYTES = 32 << 20;

export interface BlobWorkerPool {
  /** Runs one copy (here or on a thread, by its size); throws the typed error the copy reported. */
  fetch(task: FetchBlobTask, signal?: AbortSignal): Promise<FetchBlobResult>;
  /** Whether a layer of this size is copied on a worker thread. */
  onWorkerThread(size: number): boolean;
  /**
   * Starts the threads ahead of the first copy that needs one (a pass calls it once it knows a
   * big layer follows), so it does not wait for a thread's start; idle threads still end after
   * 30 s. Resolves with how many distinct threads answered (callers need not wait).
   */
  warm(): Promise<number>;
  /** Copies that can run at once: threads × copies per thread. */
  readonly capacity: number;
  close(): Promise<void>;
}

export function createBlobWorkerPool(options: BlobWorkerPoolOptions = {}): BlobWorkerPool {
  const threads = options.threads ?? availableParallelism();
  const copiesPerThread = options.copiesPerThread ?? 4;
  const onThreadMax = options.onThreadMaxBytes ?? DEFAULT_ON_THREAD_MAX_BYTES;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError("worker threads must be an integer >= 1");
  if (!Number.isInteger(copiesPerThread) || copiesPerThread < 1)
    throw new RangeError("copies per thread must be an integer >= 1");
  if (!Number.isInteger(onThreadMax) || onThreadMax < 0)
    throw new RangeError("the on-thread copy limit must be an integer >= 0");
  const onWorkerThread = (size: number) => size > onThreadMax;
  // The copy module, loaded here on the first small layer (the same file the threads load).
  let here: Promise<CopyModule> | undefined;
  const copyHere = async (task: FetchBlobTask, signal?: AbortSignal): Promise<FetchBlobOutcome> => {
    const copy = await (here ??= import(COPY_MODULE) as Promise<CopyModule>);
    return copy.default(task, signal);
  };
  // Piscina is loaded and the pool built on the first copy: a pass with nothing to copy pays for
  // neither.
  let pool: Promise<Piscina<FetchBlobTask, FetchBlobOutcome>> | undefined;
  const piscina = () =>
    (pool ??= import("piscina").then(
      ({ Piscina }) =>
        new Piscina<FetchBlobTask, FetchBlobOutcome>({
          filename: COPY_MODULE,
          minThreads: 0,
          maxThreads: threads,
          concurrentTasksPerWorker: copiesPerThread,
          loadBalancer: spreadingBalancer(threads, copiesPerThread),
          idleTimeout: 30_000,
          // Per-task wait and run histograms nobody reads: ~10 ms of this thread per 200 layers.
          recordTiming: false,
          // A thread runs several copies at once, each waiting on its sockets, disk and timers; a
          // thread parked in Atomics.wait for its next task would stop servicing the others.
          atomics: "disabled",
        }),
    ));
  return {
    async fetch(task, signal) {
      const outcome = onWorkerThread(task.size)
        ? await (await piscina()).run(task, { signal })
        : await copyHere(task, signal);
      if (!outcome.ok) throw fromWorkerErrorData(outcome.error);
      return outcome.result;
    },
    onWorkerThread,
    async warm() {
      if (pool) return 0;
      // One no-op task per thread at once: the balancer starts a thread for each while none is free.
      // The worker's `warm` export takes nothing and answers its threadId.
      const p = (await piscina()) as unknown as Piscina<null, number>;
      const answers = await Promise.all(
        Array.from({ length: threads }, () => p.run(null, { name: "warm" }).catch(() => undefined)),
      );
      return new Set(answers.filter((id) => typeof id === "number")).size;
    },
    capacity: threads * copiesPerThread,
    close: async () => {
      if (pool) await (await pool).destroy();
      pool = undefined;
    },
  };
}

/** What the balancer reads of a thread (piscina's PiscinaWorker). */
export interface BalancedThread {
  currentUsage: number;
  isRunningAbortableTask: boolean;
  terminating: boolean;
  destroyed: boolean;
}

/**
 * Picks the thread for a copy: an idle one first; while the pool may still start threads, no
 * second copy goes to a busy one (piscina then starts another), so a cold pool spreads a few
 * large layers over every core instead of hashing them all on the first thread ready; then the
 * least busy under `perThread`. Piscina's own balancer gives a task with an AbortSignal a thread
 * to itself (an abort terminates the thread), which made every copy of a pass (they all carry
 * the pass's signal) run alone on its thread: 2 copies at once on 2 cores whatever
 * copiesPerThread said. Here such a thread counts its one copy: the copies of a pass share its
 * signal and are aborted together, so none is lost to another's abort that was not ending anyway.
 */
export function spreadingBalancer<T extends BalancedThread>(
  threads: number,
  perThread: number,
): (task: unknown, workers: T[]) => T | null {
  return (_task, workers) => {
    let best: T | null = null;
    let least = perThread;
    for (const worker of workers) {
      if (worker.terminating || worker.destroyed) continue;
      const usage = worker.isRunningAbortableTask ? 1 : worker.currentUsage;
      if (usage === 0) return worker;
      if (usage < least) {
        best = worker;
        least = usage;
      }
    }
    return workers.length < threads ? null : best;
  };
}
