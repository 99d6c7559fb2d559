// Header conversions between Node's objects and the Fetch API's Headers that Connect uses, and the
// absolute URL a request was made to (the same on every serving layer).
import type { IncomingHttpHeaders } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

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

/** Characters that would end the authority inside a URL, so another host than the one checked would be used. */
const ENDS_AUTHORITY = /[\s/?#@\\]/;
let lastGood = "";

/** Whether `authority` is a host with an optional port that makes a URL (checked once per new value). */
function isAuthority(authority: string): boolean {
  if (authority === lastGood) return true;
  if (ENDS_AUTHORITY.test(authority) || !URL.canParse(`http://${authority}/`)) return false;
  lastGood = authority;
  return true;
}

interface LocalEnd {
  localAddress?: string;
  localPort?: number;
}

/**
 * The address the client connected to, for requests that name no authority: HTTP/1.0 needs no
 * Host, and HTTP/2 may leave out `:authority`.
 */
export function localAuthority(socket: LocalEnd | null | undefined): string {
  const address = socket?.localAddress?.replace(/%.*$/, "");
  if (!address) return "localhost";
  const host = address.includes(":") ? `[${address}]` : address;
  return socket?.localPort ? `${host}:${socket.localPort}` : host;
}

/**
 * The absolute URL a request was made to, as Connect's handlers expect it: the authority the
 * client named, or the local address when it named none. An authority that is no host and port
 * (a URL built from it would not parse, or would name another host) is the client's error,
 * InvalidArgument, which every serving layer answers in the call's protocol.
 */
export function requestUrl(
  encrypted: boolean,
  authority: string | string[] | undefined,
  socket: LocalEnd | null | undefined,
  path: string,
): string {
  const named = Array.isArray(authority) ? authority[0] : authority;
  if (named && !isAuthority(named))
    throw new ConnectError(
      `the request's authority (Host or :authority) ${JSON.stringify(named.slice(0, 100))} is not a host and port`,
      Code.InvalidArgument,
    );
  return `${encrypted ? "https" : "http"}://${named || localAuthority(socket)}${path}`;
}

/** The absolute URL an HTTP/2 request was made to (see requestUrl). */
export function streamUrl(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): string {
  return requestUrl(
    stream.session?.encrypted === true,
    headers[":authority"] ?? headers.host,
    stream.session?.socket,
    (headers[":path"] as string | undefined) ?? "/",
  );
}
