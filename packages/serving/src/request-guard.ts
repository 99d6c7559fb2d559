// The one rule every server keeps: nothing a request does can throw out of its handler. A
// synchronous throw or a rejected promise from the handler is answered here (400 when the
// request itself could not be understood, 500 otherwise) and logged, once per request and at a
// bounded rate, so a client sending the same bad request in a loop cannot flood the logs either.
// Handlers still answer their own errors in their own format; this is the net under them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import { createLogThrottle } from "./log-throttle.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export type GuardedHandler<Req extends Request, Res extends Response> = (req: Req, res: Res) => unknown;

export interface GuardOptions {
  logger: Pick<Logger, "error" | "warn">;
  /** Which server this is, for the log line. */
  server: string;
  /** Writes the error body in the server's own format; default `{"code","message"}` JSON. */
  respond?: (res: Response, status: number, message: string) => void;
  /** Log lines per minute at most; the rest are counted and reported with the next line. */
  logsPerMinute?: number;
}

/** Errors that mean the request itself was malformed (a bad URL escape, an unparsable URL). */
export function isClientFault(error: unknown): boolean {
  if (error instanceof URIError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ERR_INVALID_URL" || code === "ERR_INVALID_URI" || code === "ERR_INVALID_CHAR";
}

export function defaultRespond(res: Response, status: number, message: string): void {
  const body = JSON.stringify({ code: status === 400 ? "bad_request" : "internal", message });
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  };
  // HTTP/1.1 only: the connection is in an unknown state after a failure. HTTP/2 has no such
  // header (Node refuses to send it) and ends just this stream.
  if (!("stream" in res)) headers.connection = "close";
  (res as ServerResponse).writeHead(status, headers);
  res.end(body);
}

/** Wraps `handler` so that whatever it throws or rejects with is answered and logged once. */
export function guardRequests<Req extends Request, Res extends Response>(
  handler: GuardedHandler<Req, Res>,
  options: GuardOptions,
): (req: Req, res: Res) => void {
  const respond = options.respond ?? defaultRespond;
  const log = createLogThrottle(options.logsPerMinute ?? 20);
  const fail = (req: Req, res: Res, error: unknown) => {
    const clientFault = isClientFault(error);
    const status = clientFault ? 400 : 500;
    log((suppressed) => {
      const fields = {
        err: error,
        server: options.server,
        method: req.method,
        url: truncate(req.url),
        status,
        suppressed: suppressed || undefined,
      };
      if (clientFault) options.logger.warn(fields, "malformed request refused by the server's guard");
      else options.logger.error(fields, "request handler failed; answered by the server's guard");
    });
    try {
      if (res.headersSent || res.writableEnded) {
        // Too late for a status: cut the exchange so the client sees it failed.
        cut(res);
        return;
      }
      respond(res, status, clientFault ? "malformed request" : "internal error");
    } catch {
      cut(res);
    }
  };
  return (req, res) => {
    try {
      const result = handler(req, res);
      if (result && typeof (result as Promise<unknown>).then === "function")
        (result as Promise<unknown>).then(undefined, (error: unknown) => fail(req, res, error));
    } catch (error) {
      fail(req, res, error);
    }
  };
}

/** Drops the connection (HTTP/1.1), or resets the stream with INTERNAL_ERROR (HTTP/2: destroying it with an error is what sends that code). */
function cut(res: Response): void {
  if ("stream" in res) res.stream.destroy(new Error("the request handler failed"));
  else res.destroy();
}

function truncate(url: string | undefined): string | undefined {
  return url && url.length > 256 ? `${url.slice(0, 256)}…` : url;
}
