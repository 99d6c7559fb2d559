// @ts-check
// A layer copy inside a worker thread: upstream socket → sha256 → temp file → fdatasync, with
// Range resume after a broken connection, redirects (Authorization never follows one to another
// origin) and retries with full-jitter backoff on 5xx, 429 and network errors. The main thread
// renames the file into the store once this reports success.
//
// Plain JavaScript on purpose: a worker that registers a TypeScript loader costs ~40 MB of RSS
// and a few hundred ms of start-up; this one costs ~10 MB and starts at once. The task and outcome
// shapes are declared in worker-protocol.ts. Failures come back as data (structured clone would
// strip the error classes); the main thread rebuilds typed errors (worker-error.ts).
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import http from "node:http";
import https from "node:https";

const WRITE_BATCH_BYTES = 1 << 20;
const DEFAULT_SYNC_EVERY = 32 << 20;
const IDLE_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "ENETUNREACH", "EHOSTUNREACH", "EAI_AGAIN", "ERR_STREAM_PREMATURE_CLOSE", "HPE_INVALID_CONSTANT"]);

/** Keep-alive agents of this thread, one per origin and trust setting. @type {Map<string, http.Agent>} */
const agents = new Map();

/** A failure already in its transferable form. */
class TaskError extends Error {
  /** @param {Record<string, unknown> & { kind: string }} data */
  constructor(data) {
    super(data.kind);
    this.data = data;
  }
}

/**
 * The worker's entry (piscina calls the default export).
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 * @returns {Promise<import("./worker-protocol.ts").FetchBlobOutcome>}
 */
export default async function fetchBlob(task) {
  try {
    return { ok: true, result: await copy(task) };
  } catch (error) {
    return { ok: false, error: /** @type {any} */ (toErrorData(error, task.url)) };
  }
}

/** @param {import("./worker-protocol.ts").FetchBlobTask} task */
async function copy(task) {
  const counters = new BigInt64Array(task.counters);
  const attempts = task.attempts ?? 5;
  const algorithm = task.digest.slice(0, task.digest.indexOf(":"));
  const hash = createHash(algorithm);
  const file = await open(task.path, "w");
  const sink = createSink(file, task.syncEveryBytes ?? DEFAULT_SYNC_EVERY);
  let offset = 0;
  let resumes = 0;
  let failuresInARow = 0;
  try {
    for (;;) {
      const res = await openBody(task, offset, counters, attempts);
      // A 200 to a ranged request means the server ignored Range: skip what we already have.
      let skip = offset > 0 && res.statusCode === 200 ? offset : 0;
      const startedAt = offset;
      try {
        for await (const received of res) {
          let chunk = /** @type {Buffer} */ (received);
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          if (offset + chunk.length > task.size) throw new TaskError({ kind: "size", expected: task.size, actual: offset + chunk.length });
          hash.update(chunk);
          offset += chunk.length;
          Atomics.add(counters, 0, BigInt(chunk.length));
          await sink.write(chunk);
        }
        if (offset < task.size) throw Object.assign(new Error(`body ended at ${offset} of ${task.size} bytes`), { code: "ERR_STREAM_PREMATURE_CLOSE" });
        break;
      } catch (error) {
        res.destroy();
        if (error instanceof TaskError || !isRetryable(error)) throw error;
        failuresInARow = offset > startedAt ? 1 : failuresInARow + 1;
        if (failuresInARow > attempts) throw error;
        resumes++;
        await sleep(backoff(failuresInARow - 1, task));
      }
    }
    const actual = `${algorithm}:${hash.digest("hex")}`;
    if (actual !== task.digest) throw new TaskError({ kind: "digest", expected: task.digest, actual });
    await sink.finish();
  } finally {
    await sink.settle();
    await file.close();
  }
  return { digest: task.digest, size: offset, resumes };
}

/**
 * Sends the GET (with Range from `offset`), following redirects and retrying what may pass.
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 * @param {number} offset
 * @param {BigInt64Array} counters
 * @param {number} attempts
 * @returns {Promise<http.IncomingMessage>}
 */
async function openBody(task, offset, counters, attempts) {
  const origin = new URL(task.url).origin;
  let url = new URL(task.url);
  let redirects = 0;
  for (let attempt = 1; ; attempt++) {
    /** @type {Record<string, string>} */
    const headers = { "user-agent": "harbor-satellite" };
    if (task.authorization && url.origin === origin) headers.authorization = task.authorization;
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let res;
    try {
      Atomics.add(counters, 1, 1n);
      res = await get(url, headers, task);
    } catch (error) {
      if (isRetryable(error) && attempt < attempts) {
        await sleep(backoff(attempt - 1, task));
        continue;
      }
      throw error;
    }
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && res.headers.location && redirects < MAX_REDIRECTS) {
      res.resume();
      url = new URL(res.headers.location, url);
      redirects++;
      attempt--;
      continue;
    }
    if (status === 200 || (status === 206 && contentRangeStart(res) === offset)) return res;
    if (status === 401) {
      res.resume();
      throw new TaskError({ kind: "unauthorized", url: redact(url) });
    }
    if ((status >= 500 || status === 429) && attempt < attempts) {
      const told = Number(res.headers["retry-after"]);
      res.resume();
      await sleep(Number.isFinite(told) && told >= 0 ? Math.min(told * 1000, 60_000) : backoff(attempt - 1, task));
      continue;
    }
    throw new TaskError({ kind: "registry", status, ...(await errorBody(res, status)), url: redact(url), method: "GET" });
  }
}

/**
 * @param {URL} url
 * @param {Record<string, string>} headers
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 * @returns {Promise<http.IncomingMessage>}
 */
function get(url, headers, task) {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? https.request : http.request;
    const req = send(url, { method: "GET", headers, agent: agentFor(url, task) }, (res) => {
      res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(Object.assign(new Error("idle timeout"), { code: "ETIMEDOUT" })));
      resolve(res);
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error("idle timeout"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}

/**
 * @param {URL} url
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 */
function agentFor(url, task) {
  // Tasks for one origin may come with different trust settings; each gets its own pool.
  const key = `${url.origin} ${task.insecureSkipVerify ? "insecure" : ""} ${task.ca ? createHash("sha256").update(task.ca).digest("hex") : ""}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: task.maxSockets, maxFreeSockets: task.maxSockets, scheduling: /** @type {const} */ ("lifo") };
    agent = url.protocol === "https:" ? new https.Agent({ ...options, ca: task.ca, rejectUnauthorized: !task.insecureSkipVerify }) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * Batches chunks into ~1 MiB writev calls with one write in flight (reading continues while the
 * disk writes), and fdatasyncs every `syncEvery` bytes in the background so the final sync is short.
 * @param {import("node:fs/promises").FileHandle} file
 * @param {number} syncEvery
 */
function createSink(file, syncEvery) {
  /** @type {Buffer[]} */
  let batch = [];
  let batchBytes = 0;
  let written = 0;
  let syncedAt = 0;
  /** @type {Promise<void>} */
  let writing = Promise.resolve();
  /** @type {Promise<void> | undefined} */
  let syncing;
  const flush = () => {
    const buffers = batch;
    batch = [];
    batchBytes = 0;
    if (buffers.length === 0) return;
    writing = writing.then(async () => {
      await writeAll(file, buffers);
      written += buffers.reduce((n, b) => n + b.length, 0);
      if (!syncing && written - syncedAt >= syncEvery) {
        syncedAt = written;
        syncing = file.datasync().finally(() => (syncing = undefined));
        syncing.catch(() => {});
      }
    });
    writing.catch(() => {});
  };
  return {
    /** @param {Buffer} chunk */
    async write(chunk) {
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH_BYTES) {
        await writing;
        flush();
      }
    },
    async finish() {
      flush();
      await writing;
      await syncing;
      await file.datasync();
    },
    /** Waits for whatever is in flight (after a failure) so the file can be closed safely. */
    async settle() {
      await writing.catch(() => {});
      await syncing?.catch(() => {});
    },
  };
}

/**
 * @param {import("node:fs/promises").FileHandle} file
 * @param {Buffer[]} buffers
 */
async function writeAll(file, buffers) {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await file.writev(pending);
    let left = bytesWritten;
    let i = 0;
    while (i < pending.length && left >= pending[i].length) left -= pending[i++].length;
    pending = pending.slice(i);
    if (left > 0) pending[0] = pending[0].subarray(left);
  }
}

/** @param {http.IncomingMessage} res */
function contentRangeStart(res) {
  const match = /^bytes (\d+)-/.exec(String(res.headers["content-range"] ?? ""));
  return match ? Number(match[1]) : -1;
}

/**
 * @param {http.IncomingMessage} res
 * @param {number} status
 */
async function errorBody(res, status) {
  let text = "";
  try {
    for await (const chunk of res) {
      text += chunk.toString();
      if (text.length > 65_536) break;
    }
    const first = JSON.parse(text).errors?.[0];
    if (first && typeof first.code === "string") return { code: first.code, detail: String(first.message ?? "") };
  } catch {
    // not a distribution error body
  }
  return { code: "", detail: text.slice(0, 200).trim() || http.STATUS_CODES[status] || "" };
}

/** @param {unknown} error */
function isRetryable(error) {
  if (!(error instanceof Error)) return false;
  const code = /** @type {NodeJS.ErrnoException} */ (error).code;
  return (code !== undefined && RETRYABLE_CODES.has(code)) || error.message === "aborted" || error.message === "socket hang up";
}

/**
 * @param {number} attempt
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 */
function backoff(attempt, task) {
  const ceiling = Math.min(task.maxDelayMs ?? 10_000, (task.baseDelayMs ?? 200) * 2 ** attempt);
  return Math.floor(Math.random() * ceiling);
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The URL as it may be shown: no userinfo, no query (signed storage URLs carry secrets there). @param {URL} url */
function redact(url) {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * @param {unknown} error
 * @param {string} url
 */
function toErrorData(error, url) {
  if (error instanceof TaskError) return error.data;
  const e = error instanceof Error ? error : new Error(String(error));
  const code = /** @type {NodeJS.ErrnoException} */ (e).code;
  if (isRetryable(e)) return { kind: "network", url: redact(new URL(url)), method: "GET", cause: e.message, code };
  return { kind: "other", name: e.name, message: e.message, code };
}
