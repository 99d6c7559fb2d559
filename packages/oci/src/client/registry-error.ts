// Errors the registry client throws. Every message names the URL without credentials or query
// (upload locations and storage redirects carry signed state in their query), so an error can be
// logged as it is.
import { parseOciErrorBody } from "../errors.js";

/** A registry answered with a status the caller did not expect. */
export class RegistryError extends Error {
  constructor(
    /** HTTP status, or 0 when no response arrived. */
    readonly status: number,
    /** The distribution-spec error code from the body (`MANIFEST_UNKNOWN`…), or "" when absent. */
    readonly code: string,
    /** The registry's own message from the body, or the HTTP reason. */
    readonly detail: string,
    /** The request URL, without userinfo or query. */
    readonly url: string,
    readonly method: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${url}: HTTP ${status}${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}`, options);
    this.name = "RegistryError";
  }

  /** Builds the error from a response body, which may or may not be a distribution error body. */
  static fromBody(status: number, body: string, url: string | URL, method: string): RegistryError {
    const parsed = parseOciErrorBody(body);
    const detail = parsed?.message ?? body.slice(0, 200).replace(/\s+/g, " ").trim();
    return new RegistryError(status, parsed?.code ?? "", detail, redactUrl(url), method);
  }
}

/** No usable response: the connection failed, was cut, or timed out (after retries). */
export class RegistryNetworkError extends Error {
  constructor(
    readonly url: string,
    readonly method: string,
    cause: unknown,
  ) {
    super(
      `${method} ${url}: ${cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause)}`,
      { cause },
    );
    this.name = "RegistryNetworkError";
  }
}

/** A fetched manifest or blob whose bytes do not hash to the digest it was asked for. */
export class ContentDigestError extends Error {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${url}: content digest ${actual} does not match ${expected}`);
    this.name = "ContentDigestError";
  }
}

/** The URL as it may be shown: scheme, host and path only. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url.toString());
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "<invalid url>";
  }
}
