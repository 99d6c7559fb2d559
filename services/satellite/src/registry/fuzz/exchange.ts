// One fuzz request over its own raw TCP connection, and what came back: the response as bytes
// (parsed into status, headers and body), whether the server closed the connection, and whether
// it did so within the bound. A request cut short on purpose is followed by a half-close, as a
// client that died mid-request would leave it.
import { connect } from "node:net";
import type { FuzzRequest } from "./requests.js";

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

export interface Exchange {
  /** The server neither answered nor closed within the bound. */
  timedOut: boolean;
  /** The connection ended with a reset or another socket error. */
  reset: boolean;
  received: Buffer;
  /** Undefined when nothing (or no complete head) came back. */
  response?: RawResponse;
}

export function exchange(port: number, request: FuzzRequest, boundMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    let reset = false;
    let timedOut = false;
    const bound = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, boundMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => (reset = true));
    socket.on("close", () => {
      clearTimeout(bound);
      const received = Buffer.concat(chunks);
      resolve({ timedOut, reset, received, response: parseResponse(received) });
    });
    socket.on("connect", () => {
      socket.write(request.bytes, () => {
        // A request that cannot complete waits for a body that never comes: the client goes away.
        if (!request.complete) setTimeout(() => socket.end(), 50).unref();
      });
    });
  });
}

export function parseResponse(received: Buffer): RawResponse | undefined {
  const end = received.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const lines = received.subarray(0, end).toString("latin1").split("\r\n");
  const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/.exec(lines[0]);
  if (!match) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers, body: received.subarray(end + 4) };
}
