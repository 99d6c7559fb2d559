// One HTTP exchange over node:http/https with a keep-alive agent per origin and a bounded socket
// count, so a registry sees at most `maxSockets` connections from us. node:http hands back a
// Node Readable for the body, which the blob path streams to disk without copies through web
// streams. It counts every request it sends (benchmarks and sync summaries report it).
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import type { Duplex, Readable } from "node:stream";
import type { ConnectionOptions } from "node:tls";

export interface TlsOptions {
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Accept any server certificate; for tests and self-signed labs only. */
  insecureSkipVerify?: boolean;
  /**
   * node:tls options for each new connection, read when it is made: a client certificate that
   * rotates and a server check of its own (SPIFFE mTLS with the current SVID). They win over `ca`
   * and `insecureSkipVerify`. TLS sessions are then never resumed, since Node skips
   * checkServerIdentity on a resumed session.
   */
  connectionOptions?: () => ConnectionOptions;
}

/** An https agent that takes fresh TLS options for every connection it opens. */
class FreshTlsAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly fresh: () => ConnectionOptions,
  ) {
    super({ ...options, maxCachedSessions: 0 });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): Duplex | null | undefined {
    return super.createConnection({ ...options, ...this.fresh() } as https.RequestOptions, callback);
  }
}

export interface TransportOptions {
  /** Connections per origin (default 8). */
  maxSockets?: number;
  /** A socket silent this long fails the request (default 30 000 ms). */
  idleTimeoutMs?: number;
  tls?: TlsOptions;
  userAgent?: string;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a factory so that a retry can open the stream again. */
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; read it, or call `discard` so the socket returns to the pool. */
  body: IncomingMessage;
  url: URL;
}

export interface HttpTransport {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Requests sent so far, token requests included. */
  readonly requestCount: number;
  /** Closes idle sockets; in-flight requests finish. */
  close(): void;
}

export function createHttpTransport(options: TransportOptions = {}): HttpTransport {
  const maxSockets = options.maxSockets ?? 8;
  if (!Number.isInteger(maxSockets) || maxSockets < 1) throw new RangeError("maxSockets must be an integer >= 1");
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const agents = new Map<string, http.Agent>();
  let requestCount = 0;

  const agentFor = (url: URL): http.Agent => {
    let agent = agents.get(url.origin);
    if (!agent) {
      const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: "lifo" as const };
      agent =
        url.protocol === "https:"
          ? options.tls?.connectionOptions
            ? new FreshTlsAgent(common, options.tls.connectionOptions)
            : new https.Agent({ ...common, ca: options.tls?.ca, rejectUnauthorized: !options.tls?.insecureSkipVerify })
          : new http.Agent(common);
      agents.set(url.origin, agent);
    }
    return agent;
  };

  return {
    get requestCount() {
      return requestCount;
    },
    request(req) {
      if (req.url.protocol !== "http:" && req.url.protocol !== "https:") {
        return Promise.reject(new TypeError(`unsupported URL scheme ${req.url.protocol}`));
      }
      requestCount++;
      const send = req.url.protocol === "https:" ? https.request : http.request;
      return new Promise<HttpResponse>((resolve, reject) => {
        const headers: Record<string, string> = {
          "user-agent": options.userAgent ?? "harbor-satellite",
          ...req.headers,
        };
        if (Buffer.isBuffer(req.body)) headers["content-length"] = String(req.body.length);
        const outgoing = send(
          req.url,
          { method: req.method, headers, agent: agentFor(req.url), signal: req.signal },
          (res) => {
            res.setTimeout(idleTimeoutMs, () => res.destroy(timeoutError(idleTimeoutMs)));
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
          },
        );
        outgoing.setTimeout(idleTimeoutMs, () => outgoing.destroy(timeoutError(idleTimeoutMs)));
        outgoing.on("error", reject);
        if (req.body === undefined) outgoing.end();
        else if (Buffer.isBuffer(req.body)) outgoing.end(req.body);
        else {
          const source = req.body();
          source.on("error", (error) => outgoing.destroy(error));
          source.pipe(outgoing);
        }
      });
    },
    close() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`no data for ${ms} ms`), { code: "ETIMEDOUT" });
}

/** Reads a whole body, failing past `maxBytes` (manifests, token answers, error bodies). */
export async function readBody(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw Object.assign(new Error(`response body larger than ${maxBytes} bytes`), { code: "ERR_BODY_TOO_LARGE" });
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** Drops a body we do not need so the socket can be reused (or closed when it is large). */
export function discard(body: Readable): void {
  body.on("error", () => {});
  body.resume();
}

/** A header as one string (node joins repeated headers into arrays for a few names). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
