// A minimal HTTP/1.1 response reader for the load generator's raw keep-alive connections: status
// line, headers (only Content-Length, Transfer-Encoding and Connection matter), and a body
// delimited by Content-Length or chunked encoding. One response at a time per connection, as a
// satellite sends one heartbeat at a time; a reply usually arrives in one chunk, which is then
// parsed without copying.

export interface ParsedResponse {
  status: number;
  body: Buffer;
  /** The server will close the connection after this reply. */
  close: boolean;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const EMPTY = Buffer.alloc(0);

interface Head {
  status: number;
  close: boolean;
  /** Body length, or -1 for chunked. */
  length: number;
  /** Where the body starts in the buffered bytes. */
  bodyStart: number;
}

export class ResponseReader {
  private buffered: Buffer = EMPTY;
  private head: Head | undefined;

  reset(): void {
    this.buffered = EMPTY;
    this.head = undefined;
  }

  /** Adds received bytes; returns the response once complete. Throws on a malformed reply. */
  push(chunk: Buffer): ParsedResponse | undefined {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (!this.head) {
      const end = this.buffered.indexOf(HEAD_END);
      if (end < 0) {
        if (this.buffered.length > 64 * 1024) throw new Error("response head too long");
        return undefined;
      }
      this.head = parseHead(this.buffered.toString("latin1", 0, end), end + 4);
    }
    const { status, close, length, bodyStart } = this.head;
    let body: Buffer | undefined;
    let consumed: number;
    if (length >= 0) {
      if (this.buffered.length < bodyStart + length) return undefined;
      body = this.buffered.subarray(bodyStart, bodyStart + length);
      consumed = bodyStart + length;
    } else {
      const chunked = readChunked(this.buffered, bodyStart);
      if (!chunked) return undefined;
      ({ body, consumed } = chunked);
    }
    // A keep-alive peer sends nothing before the next request, so leftover bytes are a protocol error.
    if (consumed !== this.buffered.length) throw new Error("bytes after the response");
    this.reset();
    return { status, body, close };
  }
}

function parseHead(text: string, bodyStart: number): Head {
  const lines = text.split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!match) throw new Error(`not an HTTP/1.1 status line: ${lines[0]}`);
  let length = 0;
  let close = lines[0].startsWith("HTTP/1.0");
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    const name = lines[i].slice(0, colon).toLowerCase();
    const value = lines[i]
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === "content-length") length = Number(value);
    else if (name === "transfer-encoding" && value.includes("chunked")) length = -1;
    else if (name === "connection") close = value === "close";
  }
  return { status: Number(match[1]), close, length, bodyStart };
}

/** A chunked body from `start`, or undefined until its last chunk (and trailer end) is in. */
function readChunked(bytes: Buffer, start: number): { body: Buffer; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at, "latin1");
    if (lineEnd < 0) return undefined;
    const size = parseInt(bytes.toString("latin1", at, lineEnd), 16);
    if (!Number.isFinite(size)) throw new Error("bad chunk size");
    at = lineEnd + 2;
    if (size === 0) {
      const end = bytes.indexOf(HEAD_END, lineEnd);
      if (end < 0) return undefined;
      return { body: Buffer.concat(parts), consumed: end + 4 };
    }
    if (bytes.length < at + size + 2) return undefined;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}
