// Raw HTTP requests for tests that send what well-behaved clients never would: HTTP/1.x with any
// headers (or none), bytes straight onto a socket, and h2c streams with any pseudo-headers.
import { request as http1Request, type OutgoingHttpHeaders } from "node:http";
import { connect as http2Connect, constants, type OutgoingHttpHeaders as H2Headers } from "node:http2";
import { connect as netConnect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** HTTP/2 trailers (gRPC's status lives there). */
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

/** One HTTP/1.1 request with node:http (which sends Host unless told otherwise). */
export function h1(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(req.path, baseUrl);
  return new Promise((resolve, reject) => {
    const r = http1Request(
      url,
      { method: req.method ?? "GET", headers: (req.headers ?? {}) as OutgoingHttpHeaders, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            trailers: res.trailers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    r.on("error", reject);
    r.end(req.body);
  });
}

/**
 * One HTTP/2 request over cleartext (h2c). Pseudo-headers may be overridden or dropped:
 * `":authority": ""` leaves it out, which node:http2 otherwise always sends (nghttp2 then wants a
 * Host header instead).
 */
export function h2(baseUrl: string, req: RawRequest & { pseudo?: Record<string, string> }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(baseUrl);
    session.on("error", reject);
    const headers: H2Headers = { ":method": req.method ?? "GET", ":path": req.path, ...req.headers, ...req.pseudo };
    if (headers[":authority"] === "") {
      delete headers[":authority"];
      // node:http2 fills in the session's authority when a request has none.
      const authority = Object.getOwnPropertySymbols(session).find((s) => s.description === "authority");
      if (!authority)
        throw new Error("node:http2 no longer keeps the session's authority where this test helper expects it");
      (session as unknown as Record<symbol, unknown>)[authority] = undefined;
    }
    const stream = session.request(headers, { endStream: false });
    let status = 0;
    let responseHeaders: RawResponse["headers"] = {};
    let trailers: RawResponse["trailers"] = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = h;
    });
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", (error) => {
      session.close();
      reject(error);
    });
    stream.on("close", () => {
      session.close();
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && status === 0)
        reject(new Error(`stream reset with code ${stream.rstCode}`));
      else resolve({ status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(req.body);
  });
}

/** Writes bytes to a fresh TCP connection and returns everything the server sent until it closed. */
export function rawExchange(port: number, bytes: string | Uint8Array, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.write(bytes);
  });
}

/** The status code of a raw HTTP/1.x reply ("HTTP/1.1 400 Bad Request…" → 400). */
export function rawStatus(reply: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1] ?? 0);
}

/** The body of a raw HTTP/1.x reply that has a Content-Length. */
export function rawBody(reply: string): string {
  const at = reply.indexOf("\r\n\r\n");
  return at < 0 ? "" : reply.slice(at + 4);
}

/** A raw HTTP/1.x reply as a RawResponse (body close-delimited, by Content-Length, or chunked). */
export function parseRawReply(reply: string): RawResponse {
  const end = reply.indexOf("\r\n\r\n");
  const head = reply.slice(0, end < 0 ? reply.length : end).split("\r\n");
  const headers: RawResponse["headers"] = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = Buffer.from(end < 0 ? "" : reply.slice(end + 4), "latin1");
  if (headers["transfer-encoding"] === "chunked") {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length;) {
      const lineEnd = body.indexOf("\r\n", at);
      const size = parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status: rawStatus(reply), headers, trailers: {}, body };
}
