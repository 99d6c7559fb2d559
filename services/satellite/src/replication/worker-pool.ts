// The dedicated pool of worker threads that copy layers (see copy-blob-task.ts). Sized to the
// cores by default, started lazily (a no-op pass starts no thread) and each thread runs a few
// copies at once, since a copy mostly waits on sockets and disk.
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { CopyBlobOutcome, CopyBlobResult, CopyBlobTask } from "./copy-blob-task.js";
import { fromWorkerErrorData } from "./worker-error.js";

export interface BlobWorkerPoolOptions {
  /** Worker threads (default: the number of cores). */
  threads?: number;
  /** Copies one thread runs at once (default 2). */
  copiesPerThread?: number;
}

export interface BlobWorkerPool {
  copy(task: CopyBlobTask, signal?: AbortSignal): Promise<CopyBlobResult>;
  /** Copies that can run at once: threads × copies per thread. */
  readonly capacity: number;
  close(): Promise<void>;
}

export function createBlobWorkerPool(options: BlobWorkerPoolOptions = {}): BlobWorkerPool {
  const threads = options.threads ?? availableParallelism();
  const copiesPerThread = options.copiesPerThread ?? 2;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError("worker threads must be an integer >= 1");
  if (!Number.isInteger(copiesPerThread) || copiesPerThread < 1) throw new RangeError("copies per thread must be an integer >= 1");
  const piscina = new Piscina<CopyBlobTask, CopyBlobOutcome>({
    filename: new URL("./copy-blob-worker.mjs", import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    concurrentTasksPerWorker: copiesPerThread,
    idleTimeout: 30_000,
    // Tasks keep keep-alive sockets open between runs; a thread parked in Atomics.wait would not
    // service them.
    atomics: "disabled",
  });
  return {
    async copy(task, signal) {
      const outcome = await piscina.run(task, { signal });
      if (!outcome.ok) throw fromWorkerErrorData(outcome.error);
      return outcome.result;
    },
    capacity: threads * copiesPerThread,
    close: () => piscina.destroy(),
  };
}
