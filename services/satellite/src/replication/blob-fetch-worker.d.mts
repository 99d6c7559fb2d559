// Types of the plain-JS copy module for TypeScript importers (worker-pool.ts, tests).
import type { FetchBlobOutcome, FetchBlobTask } from "./worker-protocol.js";

/** `signal`: on the main thread only (a worker thread's copy ends with its thread); rejects with its reason. */
export default function fetchBlob(task: FetchBlobTask, signal?: AbortSignal): Promise<FetchBlobOutcome>;
