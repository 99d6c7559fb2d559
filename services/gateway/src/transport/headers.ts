// Header conversions between Node's objects and the Fetch API's Headers that Connect uses, and the
// absolute URL a request was made to (the same on every serving layer).
import type { IncomingHttpHeaders } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

/** Request headers as Connect sees them: no HTTP/2 pseudo-headers, repeated ones kept. */
export function webHeaders(headers: IncomingHttpHeaders): Headers {
  return new RequestHeaders(headers) as unknown as Headers;
}

/** Each of Node's request headers, repeated ones once per value, HTTP/2 pseudo-headers left out. */
function copyHeaders(headers: IncomingHttpHeaders, append: (name: string, value: string) => void): void {
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[name];
    if (typeof value === "string") append(name, value);
    else if (Array.isArray(value)) for (const v of value) append(name, v);
  }
}

// A header name as the Fetch API accepts it (an HTTP token); others go to Headers, which refuses them.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Headers' own methods, called on the subclass below: the Fetch API's typings declare them as
// properties, which a subclass may not reach through `super`.
const base = Headers.prototype;

/**
 * A Headers that answers get and has from Node's parsed request headers, and copies them in
 * only when anything else is asked. The rpc path asks a call's headers for a few names
 * (authorization, trace context, protocol) and nothing more; copying every header into undici's
 * Headers (validating each name and value) cost a few µs and several objects per heartbeat.
 * Node has already lower-cased the names and joined repeated values with ", " (set-cookie, a
 * list, is joined here as Headers.get joins it), so get and has answer as a copy would.
 */
class RequestHeaders extends (Headers as new () => object) {
  #source: IncomingHttpHeaders | undefined;

  constructor(source: IncomingHttpHeaders) {
    super();
    this.#source = source;
  }

  get(name: string): string | null {
    const source = this.#source;
    if (source && TOKEN.test(name)) {
      const value = source[name.toLowerCase()];
      if (value === undefined) return null;
      return typeof value === "string" ? value : value.join(", ");
    }
    return base.get.call(this.#filled(), name);
  }

  has(name: string): boolean {
    const source = this.#source;
    if (source && TOKEN.test(name)) return source[name.toLowerCase()] !== undefined;
    return base.has.call(this.#filled(), name);
  }

  append(name: string, value: string): void {
    base.append.call(this.#filled(), name, value);
  }

  set(name: string, value: string): void {
    base.set.call(this.#filled(), name, value);
  }

  delete(name: string): void {
    base.delete.call(this.#filled(), name);
  }

  getSetCookie(): string[] {
    return base.getSetCookie.call(this.#filled());
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    base.forEach.call(this.#filled(), callback, thisArg);
  }

  entries(): ReturnType<Headers["entries"]> {
    return base.entries.call(this.#filled());
  }

  keys(): ReturnType<Headers["keys"]> {
    return base.keys.call(this.#filled());
  }

  values(): ReturnType<Headers["values"]> {
    return base.values.call(this.#filled());
  }

  [Symbol.iterator](): ReturnType<Headers["entries"]> {
    return this.entries();
  }

  /** This object, with the source's headers copied in (once): from then on it is a plain Headers. */
  #filled(): Headers {
    const self = this as unknown as Headers;
    const source = this.#source;
    if (source) {
      this.#source = undefined;
      copyHeaders(source, (name, value) => base.append.call(self, name, value));
    }
    return self;
  }
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
