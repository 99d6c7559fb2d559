// The dedicated pool of worker threads that copy layers (blob-fetch-worker.mjs). Sized to the
// cores by default, started lazily (a no-op pass starts no thread), and each thread runs a few
// copies at once, since a copy mostly waits on sockets and disk.
import { availableParallelism } from "node:os";
import type { Piscina } from "piscina";
import { fromWorkerErrorData } from "./worker-error.js";
import type { FetchBlobOutcome, FetchBlobResult, FetchBlobTask } from "./worker-protocol.js";

export interface BlobWorkerPoolOptions {
  /** Worker threads (default: the number of cores). */
  threads?: number;
  /** Copies one thread runs at once (default 2). */
  copiesPerThread?: number;
}

export interface BlobWorkerPool {
  /** Runs one copy; throws the typed error the worker reported. */
  fetch(task: FetchBlobTask, signal?: AbortSignal): Promise<FetchBlobResult>;
  /** Copies that can run at once: threads × copies per thread. */
  readonly capacity: number;
  close(): Promise<void>;
}

export function createBlobWorkerPool(options: BlobWorkerPoolOptions = {}): BlobWorkerPool {
  const threads = options.threads ?? availableParallelism();
  const copiesPerThread = options.copiesPerThread ?? 2;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError("worker threads must be an integer >= 1");
  if (!Number.isInteger(copiesPerThread) || copiesPerThread < 1)
    throw new RangeError("copies per thread must be an integer >= 1");
  // Piscina is loaded and the pool built on the first copy: a pass with nothing to copy pays for
  // neither.
  let pool: Promise<Piscina<FetchBlobTask, FetchBlobOutcome>> | undefined;
  const piscina = () =>
    (pool ??= import("piscina").then(
      ({ Piscina }) =>
        new Piscina<FetchBlobTask, FetchBlobOutcome>({
          filename: new URL("./blob-fetch-worker.mjs", import.meta.url).href,
          minThreads: 0,
          maxThreads: threads,
          concurrentTasksPerWorker: copiesPerThread,
          idleTimeout: 30_000,
          // Threads keep keep-alive sockets open between copies; a thread parked in Atomics.wait
          // would not service them.
          atomics: "disabled",
        }),
    ));
  return {
    async fetch(task, signal) {
      const outcome = await (await piscina()).run(task, { signal });
      if (!outcome.ok) throw fromWorkerErrorData(outcome.error);
      return outcome.result;
    },
    capacity: threads * copiesPerThread,
    close: async () => {
      if (pool) await (await pool).destroy();
      pool = undefined;
    },
  };
}
