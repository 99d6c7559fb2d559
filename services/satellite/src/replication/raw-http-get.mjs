// @ts-check
// A minimal HTTP/1.1 GET for the layer-copy worker. Node's HTTP client allocates a new buffer for
// every socket read, and V8 frees them only at its next GC, which lets 40-70 MiB of garbage pile up
// per thread at disk speed; here each connection's socket reads into one preallocated buffer
// (net/tls `onread`) and each piece of the body is handed to the caller synchronously, valid only
// during the call, and a closed connection's buffer serves the next one. Without `connections` a
// request has its own connection (`Connection: close`); with them (createConnectionPool) it
// reuses a kept-alive one: the layer-copy worker keeps one pool per thread, so many small layers
// do not pay a connect (and a TLS handshake) each, and a capped copy's bounded Range requests
// share one connection per origin (createConnections). Handles Content-Length, chunked and close-delimited bodies; nothing else of
// HTTP is needed here.
import net from "node:net";
import tls from "node:tls";

/** The most bytes one read delivers; callers size their buffering against it. */
export const READ_BUFFER_BYTES = 256 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);
/** Read buffers of closed connections, for the next ones (per thread: module state). */
const MAX_FREE_READ_BUFFERS = 8;
/** @type {Buffer[]} */
const freeReadBuffers = [];

/**
 * @typedef {{ status: number, headers: Record<string, string>, version?: string }} ResponseHead
 * @typedef {{ pause(): void, resume(): void }} FlowControl
 * @typedef {{
 *   ca?: string,
 *   insecureSkipVerify?: boolean,
 *   idleTimeoutMs: number,
 *   onHead: (head: ResponseHead) => boolean,
 *   onBody: (chunk: Buffer, flow: FlowControl) => void,
 *   connections?: Connections,
 *   signal?: AbortSignal,
 * }} RawGetOptions
 * @typedef {{ data(d: Buffer): void, end(): void, close(): void, error(e: Error): void, timeout(): void }} Handler
 * @typedef {{
 *   socket: net.Socket,
 *   flow: FlowControl,
 *   connected: Promise<unknown>,
 *   handler: Handler,
 *   dead: boolean,
 *   bytesIn: number,
 * }} Connection
 * @typedef {{ get(url: URL, headers: Record<string, string>, options: RawGetOptions): Promise<{ head: ResponseHead, body: Buffer }>, close(): void }} Connections
 */

/**
 * Sends `GET url` and reads the answer. `onHead` returns true to stream the body to `onBody`, or
 * false to collect up to 64 KiB of it (an error body) into the result. Resolves when the body is
 * complete; rejects on socket errors, idle timeouts, a body cut short, or a malformed answer
 * (errors carry a Node-style `code`). A throw from `onBody` aborts the request with that error, and
 * so does `signal` (with its reason; the connection is destroyed).
 * @param {URL} url
 * @param {Record<string, string>} headers
 * @param {RawGetOptions} options
 * @returns {Promise<{ head: ResponseHead, body: Buffer }>}
 */
export function rawGet(url, headers, options) {
  if (options.connections) return options.connections.get(url, headers, options);
  return exchange(openConnection(url, options), url, headers, options, false);
}

/**
 * Connections kept alive between requests, one per origin (a copy's registry, and the blob
 * storage it may redirect to): a capped copy's chunks. `close()` ends them all.
 * @returns {Connections}
 */
export function createConnections() {
  return createConnectionPool({ maxIdlePerOrigin: 1 });
}

/**
 * Kept-alive connections keyed by origin and TLS settings, several per key (a worker thread's
 * concurrent copies from one registry). A connection goes back only once its answer was read to
 * the end and the server did not say close; an idle one ends after `idleMs` (unref'd meanwhile,
 * so it holds no thread or process open), on any event, or at `close()`. A kept connection the
 * server closed meanwhile is replaced by a new one for the same request.
 * @param {{ maxIdlePerOrigin: number, idleMs?: number }} limits
 * @returns {Connections}
 */
export function createConnectionPool({ maxIdlePerOrigin, idleMs }) {
  /** @type {Map<string, Connection[]>} */
  const idle = new Map();
  /** @param {URL} url @param {RawGetOptions} options */
  const keyOf = (url, options) => `${url.origin}\n${options.insecureSkipVerify ? 1 : 0}\n${options.ca ?? ""}`;
  /** @param {string} key */
  const take = (key) => {
    const list = idle.get(key);
    while (list && list.length > 0) {
      const conn = /** @type {Connection} */ (list.pop());
      if (conn.dead || conn.socket.destroyed) continue;
      conn.socket.setTimeout(0);
      conn.socket.ref();
      return conn;
    }
    return undefined;
  };
  /** @param {string} key @param {Connection} conn */
  const put = (key, conn) => {
    const list = (idle.get(key) ?? []).filter((c) => !c.dead);
    idle.set(key, list);
    if (list.length >= maxIdlePerOrigin) list.shift()?.socket.destroy();
    list.push(conn);
    if (idleMs !== undefined) {
      conn.socket.setTimeout(idleMs);
      conn.socket.unref();
    }
  };
  /** @param {string} key @param {Connection} conn @param {URL} url @param {Record<string, string>} headers @param {RawGetOptions} options */
  const run = async (key, conn, url, headers, options) => {
    const answer = await exchange(conn, url, headers, options, true);
    if (!conn.dead) put(key, conn);
    return answer;
  };
  return {
    async get(url, headers, options) {
      const key = keyOf(url, options);
      const kept = take(key);
      if (kept) {
        try {
          return await run(key, kept, url, headers, options);
        } catch (error) {
          // Closed by the server while idle (no byte of an answer came): try a new connection.
          if (kept.bytesIn > 0 || options.signal?.aborted) throw error;
        }
      }
      return run(key, openConnection(url, options), url, headers, options);
    },
    close() {
      for (const list of idle.values()) for (const conn of list) conn.socket.destroy();
      idle.clear();
    },
  };
}

/**
 * A connection whose socket reads into its own preallocated buffer and hands each read to the
 * request in progress (its handler); between requests any event ends it.
 * @param {URL} url
 * @param {{ ca?: string, insecureSkipVerify?: boolean }} options
 * @returns {Connection}
 */
function openConnection(url, options) {
  const readBuffer = freeReadBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const onread = {
    buffer: readBuffer,
    callback: (/** @type {number} */ n) => void conn.handler.data(readBuffer.subarray(0, n)),
  };
  const socket =
    url.protocol === "https:"
      ? tls.connect({
          host: url.hostname,
          port,
          servername: net.isIP(url.hostname) ? undefined : url.hostname,
          ca: options.ca,
          rejectUnauthorized: !options.insecureSkipVerify,
          onread,
        })
      : net.connect({ host: url.hostname, port, onread });
  /** @type {Connection} */
  const conn = {
    socket,
    flow: { pause: () => void socket.pause(), resume: () => void socket.resume() },
    connected: new Promise((resolve) => socket.once(url.protocol === "https:" ? "secureConnect" : "connect", resolve)),
    handler: { data() {}, end() {}, close() {}, error() {}, timeout() {} },
    dead: false,
    bytesIn: 0,
  };
  conn.handler = idleHandler(conn);
  socket.on("error", (error) => conn.handler.error(error));
  socket.on("end", () => conn.handler.end());
  socket.on("close", () => {
    conn.handler.close();
    // The socket reads no more into its buffer: the next connection may have it.
    if (freeReadBuffers.length < MAX_FREE_READ_BUFFERS) freeReadBuffers.push(readBuffer);
  });
  socket.on("timeout", () => conn.handler.timeout());
  return conn;
}

/**
 * Between requests: whatever the socket reports (data nobody asked for, a close, an idle
 * timeout) ends the connection.
 * @param {Connection} conn
 * @returns {Handler}
 */
function idleHandler(conn) {
  const end = () => {
    conn.dead = true;
    conn.socket.destroy();
  };
  return { data: end, end, close: end, error: end, timeout: end };
}

/**
 * One request and its answer on `conn`. With `keepAlive`, a complete answer that the server did
 * not mark `Connection: close` leaves the connection open for the next request; otherwise (and
 * after any failure) it is destroyed.
 * @param {Connection} conn
 * @param {URL} url
 * @param {Record<string, string>} headers
 * @param {RawGetOptions} options
 * @param {boolean} keepAlive
 * @returns {Promise<{ head: ResponseHead, body: Buffer }>}
 */
function exchange(conn, url, headers, options, keepAlive) {
  return new Promise((resolve, reject) => {
    const { socket } = conn;
    const body = createBodyReader();
    /** @type {ResponseHead | undefined} */
    let head;
    let headBytes = EMPTY;
    let streaming = false;
    /** @type {Buffer[]} */
    const collected = [];
    let collectedBytes = 0;
    let settled = false;
    conn.bytesIn = 0;

    const finish = (/** @type {Error | undefined} */ error) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      socket.setTimeout(0);
      conn.handler = idleHandler(conn);
      const reusable = !error && keepAlive && head !== undefined && canReuse(head, body);
      if (!reusable) {
        conn.dead = true;
        socket.destroy();
      }
      if (error) reject(error);
      else resolve({ head: /** @type {ResponseHead} */ (head), body: Buffer.concat(collected) });
    };

    const deliver = (/** @type {Buffer} */ piece) => {
      if (streaming) options.onBody(piece, conn.flow);
      else if (collectedBytes < MAX_ERROR_BODY_BYTES) {
        collected.push(Buffer.from(piece.subarray(0, MAX_ERROR_BODY_BYTES - collectedBytes)));
        collectedBytes += piece.length;
      }
    };

    /** @param {Buffer} data */
    const consume = (data) => {
      if (settled) return;
      conn.bytesIn += data.length;
      try {
        let rest = data;
        if (!head) {
          // The head is looked for in the read itself (valid during this call); only a head
          // split across reads is copied. Copying every first read (up to 256 KiB) was a copy
          // and as much garbage per layer.
          const joined = headBytes.length === 0 ? data : Buffer.concat([headBytes, data]);
          const end = joined.indexOf("\r\n\r\n");
          if (end < 0) {
            if (joined.length > MAX_HEAD_BYTES) throw codeError("response head too large", "HPE_HEADER_OVERFLOW");
            headBytes = joined === data ? Buffer.from(data) : joined;
            return;
          }
          head = parseHead(joined.subarray(0, end).toString("latin1"));
          rest = joined.subarray(end + 4);
          headBytes = EMPTY;
          body.start(head.headers);
          streaming = options.onHead(head);
        }
        if (body.feed(rest, deliver)) finish(undefined);
      } catch (error) {
        finish(/** @type {Error} */ (error));
      }
    };

    const onAbort = () => finish(options.signal?.reason);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const premature = () => codeError("connection closed before the body ended", "ERR_STREAM_PREMATURE_CLOSE");
    conn.handler = {
      data: consume,
      end: () => finish(head && body.endsAtClose() ? undefined : premature()),
      close: () => finish(premature()),
      error: (error) => finish(error),
      timeout: () => finish(codeError(`no data for ${options.idleTimeoutMs} ms`, "ETIMEDOUT")),
    };
    socket.setTimeout(options.idleTimeoutMs);
    conn.connected.then(() => {
      if (!settled) socket.write(requestText(url, headers, keepAlive));
    });
  });
}

/**
 * A connection may carry the next request once its answer's body has ended by its framing, and
 * the server neither closes it nor speaks HTTP/1.0.
 * @param {ResponseHead} head
 * @param {{ endsAtClose(): boolean }} body
 */
function canReuse(head, body) {
  return head.version === "1.1" && !body.endsAtClose() && !/\bclose\b/i.test(head.headers.connection ?? "");
}

/** @param {URL} url @param {Record<string, string>} headers @param {boolean} keepAlive */
function requestText(url, headers, keepAlive) {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "Accept-Encoding: identity"];
  if (!keepAlive) lines.push("Connection: close");
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** @param {string} text */
function parseHead(text) {
  const [statusLine, ...lines] = text.split("\r\n");
  const match = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
  if (!match)
    throw codeError(`malformed status line ${JSON.stringify(statusLine.slice(0, 100))}`, "HPE_INVALID_CONSTANT");
  /** @type {Record<string, string>} */
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[2]), headers, version: `1.${match[1]}` };
}

/**
 * Body framing: Content-Length, chunked, or until the connection closes. `feed` hands the body's
 * pieces to `deliver` and returns true once the body is complete.
 */
function createBodyReader() {
  /** @type {"length" | "chunked" | "close"} */
  let mode = "close";
  let left = 0;
  /** @type {"size" | "data" | "crlf" | "trailer"} */
  let state = "size";
  let line = "";
  return {
    /** @param {Record<string, string>} headers */
    start(headers) {
      if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) mode = "chunked";
      else if (headers["content-length"] !== undefined) {
        mode = "length";
        left = Number(headers["content-length"]);
        if (!Number.isSafeInteger(left) || left < 0)
          throw codeError("invalid Content-Length", "HPE_INVALID_CONTENT_LENGTH");
      }
    },
    endsAtClose: () => mode === "close",
    /** @param {Buffer} data @param {(piece: Buffer) => void} deliver */
    feed(data, deliver) {
      if (mode === "close") {
        if (data.length > 0) deliver(data);
        return false;
      }
      if (mode === "length") {
        const piece = data.subarray(0, left);
        left -= piece.length;
        if (piece.length > 0) deliver(piece);
        return left === 0;
      }
      let at = 0;
      while (at < data.length) {
        if (state === "data") {
          const piece = data.subarray(at, at + left);
          at += piece.length;
          left -= piece.length;
          deliver(piece);
          if (left === 0) state = "crlf";
          continue;
        }
        const newline = data.indexOf(10, at);
        if (newline < 0) {
          line += data.subarray(at).toString("latin1");
          if (line.length > 4096) throw codeError("chunk framing line too long", "HPE_CHUNK_EXTENSIONS_OVERFLOW");
          return false;
        }
        line += data.subarray(at, newline).toString("latin1");
        at = newline + 1;
        const text = line.replace(/\r$/, "");
        line = "";
        if (state === "crlf") {
          if (text !== "") throw codeError("bad chunk terminator", "HPE_INVALID_CHUNK_SIZE");
          state = "size";
        } else if (state === "size") {
          left = Number.parseInt(text.split(";")[0], 16);
          if (!Number.isSafeInteger(left) || left < 0) throw codeError("bad chunk size", "HPE_INVALID_CHUNK_SIZE");
          state = left === 0 ? "trailer" : "data";
        } else if (text === "") return true;
      }
      return false;
    },
  };
}

/** @param {string} message @param {string} code */
function codeError(message, code) {
  return Object.assign(new Error(message), { code });
}
