// The request guard for HTTP/2 servers that serve raw streams (the "stream" event) instead of
// Node's request/response objects. Whatever the stream handler throws or rejects with is
// answered here: `:status` 500 (400 for a request that could not be understood) while no headers
// went out, else the stream is destroyed (RST_STREAM INTERNAL_ERROR; `close()` would end the
// reply cleanly first, a truncated answer looking complete), so the client sees it failed.
// Logged once per stream and at a bounded rate, as guardRequests does.
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { createLogThrottle } from "./log-throttle.js";
import { isClientFault, type GuardOptions } from "./request-guard.js";

export type StreamHandler<A extends unknown[]> = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  ...rest: A
) => unknown;

export interface StreamGuardOptions extends Omit<GuardOptions, "respond"> {
  /** Writes the error answer on the stream; default `{"code","message"}` JSON. */
  respond?: (stream: ServerHttp2Stream, status: number, message: string) => void;
}

export function defaultStreamRespond(stream: ServerHttp2Stream, status: number, message: string): void {
  const body = JSON.stringify({ code: status === 400 ? "bad_request" : "internal", message });
  stream.respond({ ":status": status, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  stream.end(body);
}

/** Wraps a "stream" listener so that whatever it throws or rejects with is answered and logged once. */
export function guardStreams<A extends unknown[]>(
  handler: StreamHandler<A>,
  options: StreamGuardOptions,
): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: A) => void {
  const respond = options.respond ?? defaultStreamRespond;
  const log = createLogThrottle(options.logsPerMinute ?? 20);
  const fail = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, error: unknown) => {
    const clientFault = isClientFault(error);
    const status = clientFault ? 400 : 500;
    log((suppressed) => {
      const path = headers[":path"];
      const fields = {
        err: error,
        server: options.server,
        method: headers[":method"],
        url: path && path.length > 256 ? `${path.slice(0, 256)}…` : path,
        status,
        suppressed: suppressed || undefined,
      };
      if (clientFault) options.logger.warn(fields, "malformed request refused by the server's guard");
      else options.logger.error(fields, "stream handler failed; answered by the server's guard");
    });
    if (stream.destroyed || stream.closed) return;
    // An answer that cannot be written (the client reset the stream meanwhile) must not throw.
    stream.on("error", () => undefined);
    try {
      if (stream.headersSent) stream.destroy(new Error("the stream handler failed"));
      else respond(stream, status, clientFault ? "malformed request" : "internal error");
    } catch {
      if (!stream.destroyed) stream.destroy(new Error("the stream handler failed"));
    }
  };
  return (stream, headers, ...rest) => {
    try {
      const result = handler(stream, headers, ...rest);
      if (result && typeof (result as Promise<unknown>).then === "function")
        (result as Promise<unknown>).then(undefined, (error: unknown) => fail(stream, headers, error));
    } catch (error) {
      fail(stream, headers, error);
    }
  };
}
