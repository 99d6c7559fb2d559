// @ts-check
// A minimal HTTP/1.1 GET for the layer-copy worker. Node's HTTP client allocates a new buffer for
// every socket read, and V8 frees them only at its next GC, which lets 40-70 MiB of garbage pile up
// per thread at disk speed; here the socket reads into one preallocated buffer (net/tls `onread`)
// and each piece of the body is handed to the caller synchronously, valid only during the call.
// One connection per request (`Connection: close`): a layer is large, a handshake is not.
// Handles Content-Length, chunked and close-delimited bodies; nothing else of HTTP is needed here.
import net from "node:net";
import tls from "node:tls";

/** The most bytes one read delivers; callers size their buffering against it. */
export const READ_BUFFER_BYTES = 256 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * @typedef {{ status: number, headers: Record<string, string> }} ResponseHead
 * @typedef {{ pause(): void, resume(): void }} FlowControl
 * @typedef {{
 *   ca?: string,
 *   insecureSkipVerify?: boolean,
 *   idleTimeoutMs: number,
 *   onHead: (head: ResponseHead) => boolean,
 *   onBody: (chunk: Buffer, flow: FlowControl) => void,
 * }} RawGetOptions
 */

/**
 * Sends `GET url` and reads the answer. `onHead` returns true to stream the body to `onBody`, or
 * false to collect up to 64 KiB of it (an error body) into the result. Resolves when the body is
 * complete; rejects on socket errors, idle timeouts, a body cut short, or a malformed answer
 * (errors carry a Node-style `code`). A throw from `onBody` aborts the request with that error.
 * @param {URL} url
 * @param {Record<string, string>} headers
 * @param {RawGetOptions} options
 * @returns {Promise<{ head: ResponseHead, body: Buffer }>}
 */
export function rawGet(url, headers, options) {
  return new Promise((resolve, reject) => {
    const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    /** @type {net.Socket} */
    let socket;
    const onread = {
      buffer: readBuffer,
      callback: (/** @type {number} */ n) => void consume(readBuffer.subarray(0, n)),
    };
    if (url.protocol === "https:") {
      socket = tls.connect({
        host: url.hostname,
        port,
        servername: net.isIP(url.hostname) ? undefined : url.hostname,
        ca: options.ca,
        rejectUnauthorized: !options.insecureSkipVerify,
        onread,
      });
      socket.once("secureConnect", () => socket.write(requestText(url, headers)));
    } else {
      socket = net.connect({ host: url.hostname, port, onread });
      socket.once("connect", () => socket.write(requestText(url, headers)));
    }
    socket.setTimeout(options.idleTimeoutMs, () =>
      socket.destroy(codeError(`no data for ${options.idleTimeoutMs} ms`, "ETIMEDOUT")),
    );
    const flow = { pause: () => void socket.pause(), resume: () => void socket.resume() };
    const body = createBodyReader();
    /** @type {ResponseHead | undefined} */
    let head;
    let headBytes = Buffer.alloc(0);
    let streaming = false;
    /** @type {Buffer[]} */
    const collected = [];
    let collectedBytes = 0;
    let settled = false;

    const finish = (/** @type {Error | undefined} */ error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve({ head: /** @type {ResponseHead} */ (head), body: Buffer.concat(collected) });
    };

    const deliver = (/** @type {Buffer} */ piece) => {
      if (streaming) options.onBody(piece, flow);
      else if (collectedBytes < MAX_ERROR_BODY_BYTES) {
        collected.push(Buffer.from(piece.subarray(0, MAX_ERROR_BODY_BYTES - collectedBytes)));
        collectedBytes += piece.length;
      }
    };

    /** @param {Buffer} data */
    const consume = (data) => {
      if (settled) return;
      try {
        let rest = data;
        if (!head) {
          headBytes = Buffer.concat([headBytes, data]);
          const end = headBytes.indexOf("\r\n\r\n");
          if (end < 0) {
            if (headBytes.length > MAX_HEAD_BYTES) throw codeError("response head too large", "HPE_HEADER_OVERFLOW");
            return;
          }
          head = parseHead(headBytes.subarray(0, end).toString("latin1"));
          rest = headBytes.subarray(end + 4);
          headBytes = Buffer.alloc(0);
          body.start(head.headers);
          streaming = options.onHead(head);
        }
        if (body.feed(rest, deliver)) finish(undefined);
      } catch (error) {
        finish(/** @type {Error} */ (error));
      }
    };

    socket.on("error", (error) => finish(error));
    socket.on("end", () =>
      finish(
        head && body.endsAtClose()
          ? undefined
          : codeError("connection closed before the body ended", "ERR_STREAM_PREMATURE_CLOSE"),
      ),
    );
    socket.on("close", () =>
      finish(codeError("connection closed before the body ended", "ERR_STREAM_PREMATURE_CLOSE")),
    );
  });
}

/** @param {URL} url @param {Record<string, string>} headers */
function requestText(url, headers) {
  const lines = [
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    "Accept-Encoding: identity",
    "Connection: close",
  ];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** @param {string} text */
function parseHead(text) {
  const [statusLine, ...lines] = text.split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
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
  return { status: Number(match[1]), headers };
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
