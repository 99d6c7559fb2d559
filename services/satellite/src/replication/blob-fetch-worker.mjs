// @ts-check
// A layer copy, in a worker thread or (layers up to worker-pool.ts's onThreadMaxBytes) on the
// main thread: upstream socket → sha256 → temp file → fdatasync, with
// Range resume after a broken connection, redirects (Authorization never follows one to another
// origin) and retries on 5xx, 429 and network errors under the repository's one retry policy
// (@harbor-satellite/retry: full-jitter backoff, Retry-After). The main thread renames the file
// into the store once this reports success.
//
// Plain JavaScript on purpose: a worker that registers a TypeScript loader costs ~40 MB of RSS
// and a few hundred ms of start-up; this one costs ~10 MB and starts at once (the retry package
// is plain JavaScript for the same reason). Bytes move through
// preallocated buffers only (raw-http-get.mjs, blob-file-sink.mjs), so a copy's memory does not
// depend on the blob's size or on when V8 collects garbage. The task and outcome shapes are
// declared in worker-protocol.ts. Failures come back as data (structured clone would strip the
// error classes); the main thread rebuilds typed errors (worker-error.ts).
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { threadId } from "node:worker_threads";
import { isRetryableStatus, isTransientNetworkError, nextDelay, retryPolicy, sleep } from "@harbor-satellite/retry";
import { gateView, sharedFlow } from "./bandwidth-gate.mjs";
import { createFileSink } from "./blob-file-sink.mjs";
import { planPiece } from "./range-plan.mjs";
import { createConnectionPool, createConnections, rawGet } from "./raw-http-get.mjs";

/**
 * Background fdatasync interval. Smaller keeps the disk flushing while bytes arrive, so the last
 * sync is short: 4×100 MB passes took 0.44 s at 8 MiB against 0.47 s at 32 MiB and 0.55 s with
 * one sync at the end (bench/README.md); 4 MiB gained nothing more.
 */
const DEFAULT_SYNC_EVERY = 8 << 20;
const IDLE_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;
/** Resumes after progress are free, but a server cutting every few bytes must not go on forever. */
const MAX_RESUMES = 100;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * The thread's kept-alive connections for uncapped copies, across copies: the next layer from the
 * same registry skips the connect and TLS handshake. As many per origin as copies run on a thread
 * (worker-pool.ts); an idle one ends after a few seconds, and all end with the thread.
 */
const threadConnections = createConnectionPool({ maxIdlePerOrigin: 8, idleMs: 4_000 });

/** Started ahead of the first copy (worker-pool.ts warm): loading this module is the work. */
export function warm() {
  return threadId;
}

/** A failure already in its transferable form. */
class TaskError extends Error {
  /** @param {Record<string, unknown> & { kind: string }} data */
  constructor(data) {
    super(data.kind);
    this.data = data;
  }
}

/** The sync window closed: the copy stops, keeping what it wrote (thrown from the body callback). */
class WindowClosed extends Error {}

/**
 * The copy's entry: piscina calls the default export in a worker thread; worker-pool.ts calls it
 * on the main thread for layers too small to be worth a thread, with the pass's `signal` (a
 * thread's copy is stopped by ending the thread). An aborted copy rejects with the signal's reason.
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 * @param {AbortSignal} [signal]
 * @returns {Promise<import("./worker-protocol.ts").FetchBlobOutcome>}
 */
export default async function fetchBlob(task, signal) {
  try {
    return { ok: true, result: await copy(task, signal) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return { ok: false, error: /** @type {any} */ (toErrorData(error, task.url)) };
  }
}

/** @param {import("./worker-protocol.ts").FetchBlobTask} task @param {AbortSignal} [signal] */
async function copy(task, signal) {
  const counters = new BigInt64Array(task.counters);
  const attempts = task.attempts ?? 5;
  const algorithm = task.digest.slice(0, task.digest.indexOf(":"));
  const hash = createHash(algorithm);
  const gate = task.gate ? gateView(task.gate) : undefined;
  // A copy paused by a closing window continues after the bytes it kept: they are hashed again
  // from the file (the digest covers the whole file) and never fetched again.
  const resumeFrom = task.resumeFrom ?? 0;
  // A fresh copy creates its temp file (the store only names it); a resumed one appends to its own.
  const file = await open(task.path, resumeFrom > 0 ? "a+" : "w");
  const state = { offset: 0, skip: 0, paidUntil: 0, readyAt: 0, bounded: false };
  if (resumeFrom > 0) state.offset = await hashPrefix(file, resumeFrom, hash);
  state.paidUntil = state.offset;
  // Under a cap the copy is many bounded requests (range-plan.mjs): kept-alive connections for them.
  const connections = gate ? createConnections() : undefined;
  const sink = createFileSink(file, task.syncEveryBytes ?? DEFAULT_SYNC_EVERY);
  let resumes = 0;
  /** @type {{ socket: import("./raw-http-get.mjs").FlowControl, sink: import("./raw-http-get.mjs").FlowControl, cap: import("./raw-http-get.mjs").FlowControl } | undefined} */
  let flows;
  /** The sink and the cap each hold the socket's reading; one flow per request. @param {import("./raw-http-get.mjs").FlowControl} flow */
  const flowsFor = (flow) => {
    if (flows?.socket !== flow) {
      const shared = sharedFlow(flow);
      flows = { socket: flow, sink: shared.handle(), cap: shared.handle() };
    }
    return flows;
  };
  /** @param {Buffer} chunk @param {import("./raw-http-get.mjs").FlowControl} flow */
  const onBody = (chunk, flow) => {
    let piece = chunk;
    // A 200 to a ranged request means the server ignored Range: skip what we already have.
    if (state.skip > 0) {
      const dropped = Math.min(state.skip, piece.length);
      state.skip -= dropped;
      piece = piece.subarray(dropped);
      if (piece.length === 0) return;
    }
    if (state.offset + piece.length > task.size)
      throw new TaskError({ kind: "size", expected: task.size, actual: state.offset + piece.length });
    hash.update(piece);
    const { sink: sinkFlow, cap } = flowsFor(flow);
    sink.write(piece, sinkFlow);
    // Bytes the request reserved before it was sent are only counted; any past them (an upstream
    // that ignored Range, or an uncapped request whose copy got a cap) are paced here.
    const prepaid = Math.min(piece.length, Math.max(0, state.paidUntil - state.offset));
    state.offset += piece.length;
    Atomics.add(counters, 0, BigInt(piece.length));
    if (!gate) return;
    // The bytes in hand are kept; nothing more is read once the window has closed, except the
    // rest of a bounded request (under a cap, ~100 ms of it, already on its way): the next window
    // then starts exactly where that request ended.
    if (!gate.isOpen() && !state.bounded && state.offset < task.size) throw new WindowClosed();
    gate.count(prepaid);
    const wait = gate.take(piece.length - prepaid);
    if (wait > 0) {
      cap.pause();
      setTimeout(() => cap.resume(), wait);
    }
  };
  try {
    for (;;) {
      const startedAt = state.offset;
      signal?.throwIfAborted();
      try {
        if (gate && !gate.isOpen()) throw new WindowClosed();
        const piece = gate ? await nextPiece(gate, state, task.size, signal) : { end: undefined };
        if (piece === "wait") {
          // Too little of the window is left for a request worth making: wait for it to close.
          await sleep(gate.msUntilClose() + 5, signal);
          continue;
        }
        if (gate && !gate.isOpen()) throw new WindowClosed();
        // A new connection must not deliver into a sink whose two buffers are both busy.
        if (piece.end !== undefined) await sink.ready();
        state.bounded = piece.end !== undefined;
        if (gate && state.bounded) reserveNext(gate, state, task.size);
        // A capped copy's bounded pieces share its own connections; an uncapped GET the thread's.
        await download(
          task,
          state,
          counters,
          attempts,
          onBody,
          piece.end,
          state.bounded ? connections : threadConnections,
          signal,
        );
        // A bounded piece ended (whole, or as much as the upstream sent): next piece, or the pause.
        if (piece.end !== undefined && state.offset > startedAt && state.offset < task.size) continue;
        if (state.offset < task.size)
          throw Object.assign(new Error(`body ended at ${state.offset} of ${task.size} bytes`), {
            code: "ERR_STREAM_PREMATURE_CLOSE",
          });
        break;
      } catch (error) {
        // A cut after new bytes is resumed from where it stopped; a failure without progress has
        // already had its retries inside download().
        if (error instanceof WindowClosed) {
          await sink.finish();
          return { digest: task.digest, size: state.offset, resumes, pausedAt: state.offset };
        }
        if (
          error instanceof TaskError ||
          !isTransientNetworkError(error) ||
          state.offset === startedAt ||
          resumes >= MAX_RESUMES
        )
          throw error;
        resumes++;
      }
    }
    const actual = `${algorithm}:${hash.digest("hex")}`;
    if (actual !== task.digest) throw new TaskError({ kind: "digest", expected: task.digest, actual });
    await sink.finish();
  } finally {
    connections?.close();
    await sink.settle();
    await file.close();
  }
  return { digest: task.digest, size: state.offset, resumes };
}

/**
 * The copy's next request (range-plan.mjs). Under a cap its bytes are reserved on the bucket
 * beforehand and the request goes out only once the bucket grants them: no byte is on the wire
 * before the cap lets it through. With the window's close known, a piece asks only for what the
 * cap lets through before the close, so the next window continues exactly where this one stopped.
 * @param {ReturnType<typeof gateView>} gate
 * @param {{ offset: number, paidUntil: number, readyAt: number }} state
 * @param {number} size
 * @param {AbortSignal} [signal]
 */
async function nextPiece(gate, state, size, signal) {
  if (state.paidUntil <= state.offset) {
    state.paidUntil = state.offset;
    reserveNext(gate, state, size);
  }
  const piece = planPiece({
    offset: state.offset,
    size,
    paidUntil: state.paidUntil,
    rate: gate.rate(),
    bytesBeforeClose: gate.bytesBeforeClose(),
  });
  if (piece === "wait" || piece.end === undefined) return piece;
  const wait = state.readyAt - performance.now();
  if (wait > 0) await sleep(wait, signal);
  return piece;
}

/**
 * Reserves the chunk after the bytes already reserved (`paidUntil`), and notes when the bucket
 * grants it. Called again as each chunk's request goes out, so the wait for the next chunk runs
 * while this one arrives and is written, rather than after it.
 * @param {ReturnType<typeof gateView>} gate
 * @param {{ paidUntil: number, readyAt: number }} state
 * @param {number} size
 */
function reserveNext(gate, state, size) {
  if (state.paidUntil >= size) return;
  const piece = planPiece({
    offset: state.paidUntil,
    size,
    paidUntil: state.paidUntil,
    rate: gate.rate(),
    bytesBeforeClose: gate.bytesBeforeClose(),
  });
  if (piece === "wait" || piece.reserve === 0) return;
  const wait = gate.reserve(piece.reserve);
  state.paidUntil += piece.reserve;
  state.readyAt = performance.now() + wait;
}

/**
 * Feeds the first `bytes` of `file` to `hash`; returns how many it had (fewer when the file is
 * shorter: the copy then continues from there).
 * @param {import("node:fs/promises").FileHandle} file
 * @param {number} bytes
 * @param {import("node:crypto").Hash} hash
 */
async function hashPrefix(file, bytes, hash) {
  const buffer = Buffer.allocUnsafeSlow(1 << 20);
  let at = 0;
  while (at < bytes) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, bytes - at), at);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    at += bytesRead;
  }
  // Anything past `at` (a write the pause did not fsync, say) is dropped and fetched from there.
  await file.truncate(at);
  return at;
}

/**
 * One GET of the blob from `state.offset` (Range), following redirects and retrying answers that
 * may pass; the body goes to `onBody`. Throws TaskError for final answers, network errors as they are.
 * @param {import("./worker-protocol.ts").FetchBlobTask} task
 * @param {{ offset: number, skip: number, bounded: boolean }} state
 * @param {BigInt64Array} counters
 * @param {number} attempts
 * @param {(chunk: Buffer, flow: import("./raw-http-get.mjs").FlowControl) => void} onBody
 * @param {number} [end] the last byte to ask for (inclusive); the rest of the blob when absent
 * @param {import("./raw-http-get.mjs").Connections} [connections] kept-alive connections to use
 * @param {AbortSignal} [signal]
 */
async function download(task, state, counters, attempts, onBody, end, connections, signal) {
  const origin = new URL(task.url).origin;
  const policy = retryPolicy({ attempts, baseMs: task.baseDelayMs ?? 200, capMs: task.maxDelayMs ?? 10_000 });
  let url = new URL(task.url);
  let redirects = 0;
  for (let attempt = 1; ; attempt++) {
    /** @type {Record<string, string>} */
    const headers = { "User-Agent": "harbor-satellite" };
    if (task.authorization && url.origin === origin) headers.Authorization = task.authorization;
    if (state.offset > 0 || end !== undefined) headers.Range = `bytes=${state.offset}-${end ?? ""}`;
    const offset = state.offset;
    Atomics.add(counters, 1, 1n);
    let answer;
    try {
      answer = await rawGet(url, headers, {
        ca: task.ca,
        insecureSkipVerify: task.insecureSkipVerify,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        connections,
        signal,
        onHead: ({ status, headers: h }) => {
          state.skip = status === 200 ? offset : 0;
          // A 200 is the whole blob, not the bounded piece asked for: a closing window stops it.
          if (status === 200) state.bounded = false;
          return status === 200 || (status === 206 && contentRangeStart(h) === offset);
        },
        onBody,
      });
    } catch (error) {
      // Bytes already received are kept (the caller resumes from state.offset); a failure before
      // any new byte is retried here, with backoff, up to `attempts` times.
      if (state.offset === offset && isTransientNetworkError(error) && attempt < attempts) {
        await sleep(nextDelay(policy, attempt) ?? 0, signal);
        continue;
      }
      throw error;
    }
    const { status, headers: h } = answer.head;
    if (status === 200 || (status === 206 && contentRangeStart(h) === offset)) return;
    if (REDIRECTS.has(status) && h.location && redirects < MAX_REDIRECTS) {
      url = new URL(h.location, url);
      redirects++;
      attempt--;
      continue;
    }
    if (status === 401) throw new TaskError({ kind: "unauthorized", url: redact(url) });
    // Asked from within the blob's announced size, the upstream holds fewer bytes than that.
    const length = status === 416 ? /^bytes \*\/(\d+)$/.exec(h["content-range"] ?? "") : null;
    if (length && Number(length[1]) < task.size)
      throw new TaskError({ kind: "size", expected: task.size, actual: Number(length[1]) });
    // A Retry-After longer than the policy honours (60 s) is final, as in the registry client.
    const delay =
      isRetryableStatus(status) && attempt < attempts
        ? nextDelay(policy, attempt, { retryAfter: h["retry-after"] })
        : undefined;
    if (delay !== undefined) {
      await sleep(delay, signal);
      continue;
    }
    throw new TaskError({
      kind: "registry",
      status,
      ...errorBody(answer.body),
      url: redact(url),
      method: "GET",
    });
  }
}

/** @param {Record<string, string>} headers */
function contentRangeStart(headers) {
  const match = /^bytes (\d+)-/.exec(headers["content-range"] ?? "");
  return match ? Number(match[1]) : -1;
}

/**
 * @param {Buffer} body
 */
function errorBody(body) {
  const text = body.toString("utf8");
  try {
    const first = JSON.parse(text).errors?.[0];
    if (first && typeof first.code === "string") return { code: first.code, detail: String(first.message ?? "") };
  } catch {
    // not a distribution error body
  }
  // An empty detail gets the status text on the main thread (worker-error.ts).
  return { code: "", detail: text.slice(0, 200).trim() };
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
  if (isTransientNetworkError(e))
    return { kind: "network", url: redact(new URL(url)), method: "GET", cause: e.message, code };
  return { kind: "other", name: e.name, message: e.message, code };
}
