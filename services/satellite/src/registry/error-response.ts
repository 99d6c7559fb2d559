// The one place an error becomes a response. Handlers and the store throw OciError (or the
// typed errors of @harbor-satellite/oci, mapped here); anything else is a 500 whose cause goes
// to the log and never to the client.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  DigestMismatchError,
  InvalidDigestError,
  ManifestInvalidError,
  OciError,
  SizeMismatchError,
} from "@harbor-satellite/oci";
import { createLogThrottle, type ThrottledLog } from "@harbor-satellite/serving";
import type { Logger } from "pino";
import { API_VERSION_HEADER } from "./http.js";

/** Refusals (and failures) logged per registry logger: a client repeating a bad request in a loop must not flood the log. */
const LOG_LINES_PER_MINUTE = 30;
const throttles = new WeakMap<Logger, ThrottledLog>();

function throttled(logger: Logger): ThrottledLog {
  let log = throttles.get(logger);
  if (!log) throttles.set(logger, (log = createLogThrottle(LOG_LINES_PER_MINUTE)));
  return log;
}

/** Normalises anything thrown by a handler; undefined for errors that are ours (a 500). */
export function toOciError(error: unknown): OciError | undefined {
  if (error instanceof OciError) return error;
  if (error instanceof DigestMismatchError)
    return new OciError("DIGEST_INVALID", undefined, { expected: error.expected, actual: error.actual });
  if (error instanceof SizeMismatchError)
    return new OciError("SIZE_INVALID", undefined, { expected: error.expected, actual: error.actual });
  if (error instanceof InvalidDigestError) return new OciError("DIGEST_INVALID", undefined, { digest: error.value });
  if (error instanceof ManifestInvalidError) return new OciError("MANIFEST_INVALID", error.message);
  return undefined;
}

export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  logger: Logger,
  extraHeaders: Record<string, string> = {},
): void {
  const oci = toOciError(error);
  if (res.headersSent) {
    // Mid-body (a blob stream failed): the only honest signal left is a cut connection.
    logger.warn({ err: error, method: req.method, url: req.url }, "request failed after the response started");
    res.destroy();
    return;
  }
  if (!oci)
    throttled(logger)((suppressed) =>
      logger.error(
        { err: error, method: req.method, url: req.url, suppressed: suppressed || undefined },
        "request failed",
      ),
    );
  // A 404 is how clients ask "do you have it?" before every push and pull: normal flow, not a
  // problem worth a warning. Every other refusal is, at a bounded rate.
  else if (oci.status === 404)
    logger.debug(
      { code: oci.code, status: oci.status, method: req.method, url: req.url, detail: oci.detail },
      oci.message,
    );
  else
    throttled(logger)((suppressed) =>
      logger.warn(
        {
          code: oci.code,
          status: oci.status,
          method: req.method,
          url: req.url,
          detail: oci.detail,
          suppressed: suppressed || undefined,
        },
        oci.message,
      ),
    );
  const status = oci?.status ?? 500;
  const body = oci ? oci.toBody() : { errors: [{ code: "UNKNOWN", message: "internal error" }] };
  const bytes = Buffer.from(JSON.stringify(body));
  // A body we did not read would otherwise be drained (possibly gigabytes) to keep the socket.
  const close = req.complete ? {} : { Connection: "close" };
  const retry = oci?.code === "TOOMANYREQUESTS" ? { "Retry-After": "10" } : {};
  res.writeHead(status, {
    ...API_VERSION_HEADER,
    "Content-Type": "application/json",
    "Content-Length": bytes.length,
    ...close,
    ...retry,
    ...extraHeaders,
  });
  res.end(req.method === "HEAD" ? undefined : bytes);
}
