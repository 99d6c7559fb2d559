// Header conversions between Node's objects and the Fetch API's Headers that Connect uses.
import type { IncomingHttpHeaders } from "node:http";
import type { ServerHttp2Stream } from "node:http2";

/** Request headers as Connect sees them: no HTTP/2 pseudo-headers, repeated ones kept. */
export function webHeaders(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[name];
    if (typeof value === "string") result.append(name, value);
    else if (Array.isArray(value)) for (const v of value) result.append(name, v);
  }
  return result;
}

/** Response headers for Node (`:status` first when given). */
export function nodeHeaders(headers: Headers | undefined, status?: number): Record<string, string | number> {
  const result: Record<string, string | number> = status === undefined ? {} : { ":status": status };
  headers?.forEach((value, name) => (result[name] = value));
  return result;
}

/** The absolute URL an HTTP/2 request was made to, as Connect's handlers expect it. */
export function streamUrl(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): string {
  return `${stream.session?.encrypted ? "https" : "http"}://${headers[":authority"] ?? headers.host ?? "localhost"}${headers[":path"] ?? "/"}`;
}
