// What every fuzz exchange must satisfy: an answer or a clean close within the bound; when an
// answer came, a well-formed HTTP/1.1 head, a body as long as its Content-Length, an error body
// in the spec's format, never a 5xx (a 500 is a bug the request guard caught); and no write
// accepted from a client that may not write.
import type { Exchange } from "./exchange.js";
import type { FuzzRequest } from "./requests.js";

export type FuzzMode = "read-only" | "write";

const READS = new Set(["GET", "HEAD"]);
const NO_BODY = new Set([204, 304]);

/** Undefined when the exchange is fine, else what is wrong with it. */
export function violation(mode: FuzzMode, request: FuzzRequest, ex: Exchange): string | undefined {
  if (ex.timedOut) return "no answer and no close within the bound";
  if (ex.received.length === 0) return undefined; // a clean close (or a reset) without an answer
  const res = ex.response;
  if (!res)
    return ex.reset
      ? undefined
      : `not an HTTP/1.1 response: ${JSON.stringify(ex.received.subarray(0, 200).toString("latin1"))}`;
  if (res.status < 100 || res.status > 599) return `status ${res.status}`;
  if (res.status >= 500) return `server error ${res.status}: ${res.body.subarray(0, 300).toString()}`;
  const length = res.headers.get("content-length");
  if (length !== undefined && request.method !== "HEAD" && !NO_BODY.has(res.status) && !ex.reset) {
    if (!/^\d+$/.test(length)) return `bad Content-Length ${length}`;
    if (res.body.length !== Number(length)) return `body of ${res.body.length} bytes under Content-Length ${length}`;
  }
  const type = res.headers.get("content-type") ?? "";
  if (res.status >= 400 && type.startsWith("application/json") && res.body.length > 0 && request.method !== "HEAD") {
    try {
      const body = JSON.parse(res.body.toString()) as { errors?: { code?: unknown }[] };
      if (typeof body.errors?.[0]?.code !== "string")
        return `error body without errors[0].code: ${res.body.subarray(0, 200).toString()}`;
    } catch {
      return `error body is not JSON: ${res.body.subarray(0, 200).toString()}`;
    }
  }
  const write = !READS.has(request.method);
  if (write && res.status >= 200 && res.status < 300) {
    if (mode === "read-only") return `a ${request.method} was accepted (${res.status}) in read-only mode`;
    if (!request.authorized) return `a ${request.method} without valid credentials was accepted (${res.status})`;
  }
  return undefined;
}
