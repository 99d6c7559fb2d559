// One request to a registry with everything a registry needs around it: credentials for the
// request's scopes (and one retry after a 401 challenge), retries with backoff on 5xx, 429 and
// network errors, and redirects (blob storage often answers with a signed URL elsewhere; the
// Authorization header never follows a redirect to another origin).
import type { Readable } from "node:stream";
import { createAuthenticator, type AuthSnapshot, type Authenticator, type Credentials } from "./token-auth.js";
import {
  createHttpTransport,
  discard,
  header,
  readBody,
  type HttpResponse,
  type HttpTransport,
  type TransportOptions,
} from "./http-transport.js";
import { RegistryError, RegistryNetworkError, redactUrl } from "./registry-error.js";
import {
  createRetryPolicy,
  isRetryableNetworkError,
  isRetryableStatus,
  sleep,
  type RetryOptions,
  type RetryPolicy,
} from "./retry.js";

export interface SessionOptions extends TransportOptions {
  /** Registry base URL, e.g. `https://harbor.example.com` or `http://127.0.0.1:5000`. */
  url: string;
  credentials?: Credentials;
  retry?: RetryOptions;
  /** Auth state learned by another client for the same registry (see RegistryClient.authSnapshot). */
  auth?: AuthSnapshot;
}

export interface SessionRequest {
  method: string;
  /** A path under the registry (`/v2/…`) or an absolute URL (upload locations). */
  target: string | URL;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  /** Token scopes the request needs. */
  scopes: readonly string[];
  /** Statuses the caller handles; others become RegistryError. */
  expect: readonly number[];
  /** Follow 3xx answers (GET/HEAD of blobs). */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface RegistrySession {
  readonly baseUrl: URL;
  send(req: SessionRequest): Promise<HttpResponse>;
  readonly requestCount: number;
  readonly retry: RetryPolicy;
  /**
   * The Authorization header for these scopes, for a request made elsewhere (a worker thread).
   * With `refresh`, a cached token is dropped first, and an unknown scheme is learned by pinging
   * `/v2/`.
   */
  authorization(
    scopes: readonly string[],
    options?: { refresh?: boolean; signal?: AbortSignal },
  ): Promise<string | undefined>;
  authSnapshot(): AuthSnapshot;
  close(): void;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createRegistrySession(options: SessionOptions): RegistrySession {
  const baseUrl = new URL(options.url.replace(/\/+$/, ""));
  if (baseUrl.username || baseUrl.password)
    throw new TypeError("put registry credentials in `credentials`, not in the URL");
  const transport: HttpTransport = createHttpTransport(options);
  const auth: Authenticator = createAuthenticator(transport, options.credentials, options.auth);
  const retry = createRetryPolicy(options.retry);

  const send = async (req: SessionRequest): Promise<HttpResponse> => {
    let url =
      typeof req.target === "string" && req.target.startsWith("/")
        ? new URL(baseUrl.origin + baseUrl.pathname.replace(/\/$/, "") + req.target)
        : new URL(req.target);
    let attempt = 0;
    let challenged = false;
    let redirects = 0;
    for (;;) {
      const sameOrigin = url.origin === baseUrl.origin;
      const headers = { ...req.headers };
      if (sameOrigin) {
        const authorization = await auth.authorization(req.scopes, req.signal);
        if (authorization) headers.authorization = authorization;
      }
      let res: HttpResponse;
      try {
        res = await transport.request({ method: req.method, url, headers, body: req.body, signal: req.signal });
      } catch (error) {
        if (req.signal?.aborted) throw error;
        if (isRetryableNetworkError(error) && attempt + 1 < retry.attempts) {
          await sleep(retry.delayMs(attempt++) ?? 0, req.signal);
          continue;
        }
        throw new RegistryNetworkError(redactUrl(url), req.method, error);
      }
      if (res.status === 401 && sameOrigin && !challenged && !req.expect.includes(401)) {
        challenged = true;
        const challenge = header(res.headers, "www-authenticate");
        discard(res.body);
        if (await auth.handleChallenge(challenge, req.scopes, req.signal, headers.authorization)) continue;
        throw new RegistryError(401, "UNAUTHORIZED", "authentication required", redactUrl(url), req.method);
      }
      if (req.followRedirects && REDIRECTS.has(res.status) && !req.expect.includes(res.status)) {
        const location = header(res.headers, "location");
        discard(res.body);
        if (!location || ++redirects > MAX_REDIRECTS)
          throw new RegistryError(res.status, "", "too many or empty redirects", redactUrl(url), req.method);
        url = new URL(location, url);
        continue;
      }
      if (req.expect.includes(res.status)) return res;
      if (isRetryableStatus(res.status) && attempt + 1 < retry.attempts) {
        const delay = retry.delayMs(attempt++, header(res.headers, "retry-after"));
        if (delay !== undefined) {
          discard(res.body);
          await sleep(delay, req.signal);
          continue;
        }
      }
      const body =
        req.method === "HEAD"
          ? ""
          : await readBody(res.body, 64 * 1024).then(
              (b) => b.toString("utf8"),
              () => "",
            );
      throw RegistryError.fromBody(res.status, body, url, req.method);
    }
  };

  return {
    baseUrl,
    send,
    retry,
    get requestCount() {
      return transport.requestCount;
    },
    async authorization(scopes, options) {
      if (options?.refresh) {
        auth.invalidate(scopes);
        if (!auth.known) {
          const ping = await transport.request({
            method: "GET",
            url: new URL(`${baseUrl.origin}${baseUrl.pathname.replace(/\/$/, "")}/v2/`),
            signal: options.signal,
          });
          discard(ping.body);
          if (ping.status === 401)
            await auth.handleChallenge(header(ping.headers, "www-authenticate"), scopes, options.signal);
        }
      }
      return auth.authorization(scopes, options?.signal);
    },
    authSnapshot: () => auth.snapshot(),
    close: () => transport.close(),
  };
}
