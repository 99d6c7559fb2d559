// The worker-thread side of a layer copy: upstream socket → sha256 (and size) check → temp file →
// fdatasync, all on the worker's own event loop, so hashing never competes with the main thread.
// The main thread allocated the temp file and renames it into the store once this resolves
// (TempFile.commitVerified); on any failure the file is left for the main thread to abort.
// Memory stays bounded by stream buffers whatever the blob size.
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createRegistryClient, type AuthSnapshot, type Credentials, type RegistryClient, type RetryOptions } from "@harbor-satellite/oci";
import { SyncedFileSink } from "./synced-file-sink.js";
import { toWorkerErrorData, type WorkerErrorData } from "./worker-error.js";

export interface UpstreamTaskConfig {
  url: string;
  credentials?: Credentials;
  /** Auth state the main thread learned, so the worker skips the 401 round trips. */
  auth?: AuthSnapshot;
  maxSockets?: number;
  retry?: RetryOptions;
  insecureSkipVerify?: boolean;
}

export interface CopyBlobTask {
  upstream: UpstreamTaskConfig;
  repository: string;
  digest: string;
  size: number;
  /** Temp file to write (created by the store, on the blobs' filesystem). */
  path: string;
  /** Shared counters: [0] bytes received, [1] upstream requests (BigInt64Array over it). */
  counters: SharedArrayBuffer;
}

export interface CopyBlobResult {
  digest: string;
  size: number;
  resumes: number;
}

/** What the worker sends back: errors travel as data (see worker-error.ts). */
export type CopyBlobOutcome = { ok: true; result: CopyBlobResult } | { ok: false; error: WorkerErrorData };

const WRITE_BUFFER = 1 << 20;

/** One client per upstream per worker thread: its keep-alive sockets and tokens are reused. */
const clients = new Map<string, { client: RegistryClient; reported: number }>();

function clientFor(upstream: UpstreamTaskConfig): { client: RegistryClient; reported: number } {
  const key = `${upstream.url}\n${upstream.credentials?.username ?? ""}`;
  let entry = clients.get(key);
  if (!entry) {
    const client = createRegistryClient({
      url: upstream.url,
      credentials: upstream.credentials,
      auth: upstream.auth,
      maxSockets: upstream.maxSockets,
      retry: upstream.retry,
      tls: { insecureSkipVerify: upstream.insecureSkipVerify },
    });
    entry = { client, reported: 0 };
    clients.set(key, entry);
  }
  return entry;
}

/** The worker's entry: never throws, so the main thread gets typed errors back. */
export async function runCopyBlobTask(task: CopyBlobTask): Promise<CopyBlobOutcome> {
  try {
    return { ok: true, result: await copyBlobTask(task) };
  } catch (error) {
    return { ok: false, error: toWorkerErrorData(error) };
  }
}

export async function copyBlobTask(task: CopyBlobTask): Promise<CopyBlobResult> {
  const counters = new BigInt64Array(task.counters);
  const entry = clientFor(task.upstream);
  let resumes = 0;
  const file = await open(task.path, "w");
  try {
    const source = entry.client.getBlob(task.repository, task.digest, { size: task.size, onResume: () => resumes++ });
    source.on("data", (chunk: Buffer) => void Atomics.add(counters, 0, BigInt(chunk.length)));
    await pipeline(source, new SyncedFileSink(file, WRITE_BUFFER));
  } finally {
    await file.close();
    // Report requests as they happen per worker; JS runs one task step at a time here, so the
    // running difference never counts a request twice.
    Atomics.add(counters, 1, BigInt(entry.client.requestCount - entry.reported));
    entry.reported = entry.client.requestCount;
  }
  return { digest: task.digest, size: task.size, resumes };
}
