// One HTTP/1.1 exchange over a raw socket, so that malformed requests can be sent at all, and a
// parser strict enough to tell a well-formed response from a broken or truncated one.
import { connect } from "node:net";
import type { FuzzCase } from "./cases.js";

export type Http1Outcome =
  | { kind: "response"; status: number; headers: Record<string, string>; body: Buffer }
  /** The server closed the connection without a byte: a refusal, not a broken answer. */
  | { kind: "closed" }
  /** A response whose head was complete but whose body ended early (cut after it started). */
  | { kind: "truncated"; status: number; detail: string }
  | { kind: "invalid"; detail: string }
  | { kind: "hang"; received: number };

export interface Target {
  host: string;
  port: number;
}

/** The bytes of a case's request. */
export function http1Bytes(c: FuzzCase): Buffer {
  if (c.raw) return c.raw;
  const lines = [`${c.method} ${c.path} HTTP/1.1`, ...c.headers.map(([n, v]) => `${n}: ${v}`)];
  if (c.index % 2 === 0) lines.push("Connection: close");
  let body = c.body;
  if (c.framing === "content-length") lines.push(`Content-Length: ${c.body.length}`);
  if (c.framing === "lying-length") lines.push(`Content-Length: ${c.body.length + 10}`);
  if (c.framing === "chunked") {
    lines.push("Transfer-Encoding: chunked");
    body = Buffer.concat([
      Buffer.from(`${c.body.length.toString(16)}\r\n`),
      c.body,
      Buffer.from(c.body.length ? "\r\n0\r\n\r\n" : "\r\n"),
    ]);
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

export function http1Exchange(target: Target, c: FuzzCase, boundMs: number): Promise<Http1Outcome> {
  const head = c.method === "HEAD";
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: Http1Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "hang", received: received.length }), boundMs);
    socket.on("error", () => undefined);
    socket.on("connect", () => socket.write(http1Bytes(c)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received, head, false);
      if (parsed !== "incomplete") finish(parsed);
    });
    socket.on("close", () => {
      if (received.length === 0) return finish({ kind: "closed" });
      const parsed = parseResponse(received, head, true);
      finish(parsed === "incomplete" ? { kind: "invalid", detail: "incomplete response" } : parsed);
    });
  });
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/;

/** Parses the first final response in `buf`; "incomplete" while more bytes may complete it. */
export function parseResponse(buf: Buffer, head: boolean, closed: boolean): Http1Outcome | "incomplete" {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) {
    const prefix = buf.subarray(0, 7).toString("latin1");
    if (!"HTTP/1.".startsWith(prefix))
      return {
        kind: "invalid",
        detail: `not a status line: ${JSON.stringify(buf.subarray(0, 40).toString("latin1"))}`,
      };
    if (closed) return { kind: "invalid", detail: "connection closed inside the response head" };
    return buf.length > 64 * 1024 ? { kind: "invalid", detail: "response head over 64 KiB" } : "incomplete";
  }
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const statusMatch = STATUS_LINE.exec(lines[0]);
  if (!statusMatch) return { kind: "invalid", detail: `bad status line ${JSON.stringify(lines[0].slice(0, 80))}` };
  const status = Number(statusMatch[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return { kind: "invalid", detail: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  if (status >= 100 && status < 200 && status !== 101) {
    // "100 Continue", then the client never sent the body it announced: closing is fair.
    if (rest.length === 0 && closed) return { kind: "closed" };
    return parseResponse(rest, head, closed);
  }
  if (head || status === 204 || status === 304 || status === 101)
    return { kind: "response", status, headers, body: Buffer.alloc(0) };
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const body = dechunk(rest);
    if (body === "invalid") return { kind: "invalid", detail: "bad chunked encoding" };
    if (body === "incomplete")
      return closed ? { kind: "truncated", status, detail: "chunked body ended early" } : "incomplete";
    return { kind: "response", status, headers, body };
  }
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    if (!Number.isInteger(length) || length < 0)
      return { kind: "invalid", detail: `bad content-length ${headers["content-length"]}` };
    if (rest.length >= length) return { kind: "response", status, headers, body: rest.subarray(0, length) };
    return closed ? { kind: "truncated", status, detail: `body ${rest.length} of ${length} bytes` } : "incomplete";
  }
  return closed ? { kind: "response", status, headers, body: rest } : "incomplete";
}

function dechunk(buf: Buffer): Buffer | "incomplete" | "invalid" {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return "incomplete";
    const size = Number.parseInt(buf.subarray(at, eol).toString("latin1").split(";")[0], 16);
    if (!Number.isFinite(size) || size < 0) return "invalid";
    if (size === 0)
      return buf.indexOf("\r\n\r\n", eol) >= 0 || buf.subarray(eol, eol + 4).toString() === "\r\n\r\n"
        ? Buffer.concat(parts)
        : "incomplete";
    if (buf.length < eol + 2 + size + 2) return "incomplete";
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
