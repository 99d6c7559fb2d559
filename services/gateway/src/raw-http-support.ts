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
    const r = http1Request(url, { method: req.method ?? "GET", headers: (req.headers ?? {}) as OutgoingHttpHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
    });
    r.on("error", reject);
    r.end(req.body);
  });
}

/**
 * One HTTP/2 request over cleartext (h2c). Pseudo-headers may be overridden or dropped
 * (`":authority": ""` removes it, which node:http2 otherwise always sends).
 */
export function h2(baseUrl: string, req: RawRequest & { pseudo?: Record<string, string> }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(baseUrl);
    session.on("error", reject);
    const headers: H2Headers = { ":method": req.method ?? "GET", ":path": req.path, ...req.headers, ...req.pseudo };
    if (headers[":authority"] === "") delete headers[":authority"];
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
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && status === 0) reject(new Error(`stream reset with code ${stream.rstCode}`));
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
