// The messages between the main thread and a layer-copy worker (blob-fetch-worker.mjs). The worker
// is plain JavaScript so that it starts without a TypeScript loader (a worker that registers tsx
// costs ~40 MB more); these types are the contract both sides follow.
import type { WorkerErrorData } from "./worker-error.js";

export interface FetchBlobTask {
  /** Absolute blob URL (`<registry>/v2/<repo>/blobs/<digest>`). */
  url: string;
  /** Authorization for the registry's origin; never sent after a redirect to another origin. */
  authorization?: string;
  digest: string;
  size: number;
  /** Temp file to write (created by the store, on the blobs' filesystem). */
  path: string;
  /** Shared counters: [0] bytes received, [1] HTTP requests sent (BigInt64Array over it). */
  counters: SharedArrayBuffer;
  /** Extra CA certificates (PEM) to trust. */
  ca?: string;
  insecureSkipVerify?: boolean;
  /** Attempts per request and resumes in a row without progress (default 5). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** fdatasync every this many bytes while writing, so the disk flushes while bytes still arrive. */
  syncEveryBytes?: number;
  /** The satellite's bandwidth cap and sync-window switch (bandwidth-gate.mjs); none: uncapped, always open. */
  gate?: SharedArrayBuffer;
  /** `path` already holds this many bytes of the blob (a copy a closing window paused): continue after them. */
  resumeFrom?: number;
}

export interface FetchBlobResult {
  digest: string;
  size: number;
  resumes: number;
  /** Set when the sync window closed mid-copy: the file holds this many bytes, fsynced. */
  pausedAt?: number;
}

export type FetchBlobOutcome = { ok: true; result: FetchBlobResult } | { ok: false; error: WorkerErrorData };
