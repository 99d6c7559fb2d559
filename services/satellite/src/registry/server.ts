// The registry's HTTP edge (node:http): routes a request, checks who may write
// (write-access.ts), runs its handler, and turns whatever it throws into the spec's error body
// (error-response.ts). The listener takes the shared limits of @harbor-satellite/serving: header,
// keep-alive and idle timeouts, a connection cap in all and per client address, and the request
// guard, the net under sendError that answers anything still thrown in the OCI error format.
// There is no whole-request timeout: a multi-gigabyte push may take long; a stalled one is cut
// by the idle timeout. Every request is measured (http.server.request.duration with its route
// template), and /metrics answers there when the process serves metrics on this port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { OciError } from "@harbor-satellite/oci";
import {
  applyHttp1Limits,
  capConnections,
  createLogThrottle,
  guardRequests,
  resolveLimits,
  tlsLimitOptions,
  type ServerLimits,
} from "@harbor-satellite/serving";
import { measureHttpRequest, METRICS_PATH, serveMetrics, type Metrics } from "@harbor-satellite/telemetry/metrics";
import { pino, type Logger } from "pino";
import type { ServingStore } from "../store/serving-store.js";
import type { ManifestGate, RegistryDeps, RequestContext } from "./context.js";
import { sendError } from "./error-response.js";
import { API_VERSION_HEADER } from "./http.js";
import { READ_METHODS, ROUTE_TEMPLATES } from "./routes.js";
import { matchRoute } from "./router.js";
import { UploadSessions, type UploadSessionLimits } from "./upload-sessions.js";
import { authorizeRead } from "./read-access.js";
import { BASIC_CHALLENGE, WriteRefused, authorizeWrite, type WriteAccess } from "./write-access.js";
import type { WriteCredentials } from "./write-credentials.js";

export interface RegistryOptions {
  store: ServingStore;
  logger?: Logger;
  /** Serve pulls only; pushes and deletes get 405 (same as writeAccess read-only). */
  readOnly?: boolean;
  /** Who may push and delete (default anonymous; the commands choose their own defaults). */
  writeAccess?: WriteAccess;
  /** When set, every request (the /v2/ probe too) needs Basic credentials of these users or of the writers. */
  readCredentials?: WriteCredentials;
  /** Caps and idle expiry of upload sessions. */
  uploads?: UploadSessionLimits;
  /** Serve GET /metrics from these (anonymous, like every read). */
  metrics?: Metrics;
  /** Told of every manifest served by GET (the agent's pull log). */
  onManifestPulled?: (repository: string, digest: string) => void;
  /** May refuse to serve a manifest (the signature policy). */
  manifestGate?: ManifestGate;
}

export interface RegistryHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  readonly uploads: UploadSessions;
  /** Aborts open upload sessions. */
  close(): Promise<void>;
}

const noop = () => {};

export function createRegistryHandler(options: RegistryOptions): RegistryHandler {
  const logger = options.logger ?? pino({ level: "silent" });
  const uploads = new UploadSessions(options.uploads);
  const deps: RegistryDeps = {
    store: options.store,
    uploads,
    logger,
    onManifestPulled: options.onManifestPulled,
    manifestGate: options.manifestGate,
  };
  const access: WriteAccess = options.readOnly ? { mode: "read-only" } : (options.writeAccess ?? { mode: "anonymous" });
  const debug = logger.isLevelEnabled("debug");

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A client that vanishes mid-request must not leave an 'error' event with no listener.
    req.on("error", noop);
    res.on("error", noop);
    const started = debug ? performance.now() : 0;
    if (debug)
      res.once("finish", () =>
        logger.debug(
          { method: req.method, url: req.url, status: res.statusCode, ms: +(performance.now() - started).toFixed(2) },
          "request",
        ),
      );
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    const measured = measureHttpRequest(method, res);
    if (options.metrics && path === METRICS_PATH) {
      measured.route = METRICS_PATH;
      return serveMetrics(options.metrics, req, res);
    }
    let headers: Record<string, string> = {};
    try {
      const write = !READ_METHODS.has(method);
      if (options.readCredentials && !(write && access.mode === "credentials"))
        await authorizeRead(options.readCredentials, access, req);
      // With credentials, an anonymous writer learns nothing about routes before it authenticates.
      if (write && access.mode === "credentials") await authorizeWrite(access, req);
      const match = matchRoute(path, method);
      if (!match) throw new OciError("NAME_UNKNOWN", "no such endpoint", { path });
      measured.route = ROUTE_TEMPLATES[match.route.name];
      const methods = match.route.methods;
      const handler = methods[method];
      // docker-registry's read-only mode answers every write this way, whatever the route.
      if (write && access.mode === "read-only") await authorizeWrite(access, req);
      if (!handler) {
        headers = { Allow: Object.keys(methods).join(", ") };
        throw new OciError("UNSUPPORTED", "method not allowed", { method });
      }
      // Clients that read challenges from the /v2/ probe (skopeo, containers/image) then send
      // credentials with their writes; anonymous pulls are unaffected.
      if (match.route.name === "base" && access.mode === "credentials")
        res.setHeader("WWW-Authenticate", BASIC_CHALLENGE);
      const ctx: RequestContext = {
        req,
        res,
        params: match.params,
        deps,
        query: () => new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
      };
      await handler(ctx);
    } catch (error) {
      if (error instanceof WriteRefused) headers = { ...headers, ...error.headers };
      sendError(req, res, error, logger, headers);
    }
  };
  return Object.assign(handle, { uploads, close: () => uploads.close() });
}

export interface RegistryServer {
  server: Server;
  /** `http://host:port`, or `https://` with TLS. */
  url: string;
  port: number;
  /** The limits the listener runs with. */
  limits: ServerLimits;
  /** Open upload sessions (for status and tests). */
  uploads: UploadSessions;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** On close, how long requests in flight may take before their connections are cut. */
  drainMs?: number;
  /** Overrides of the shared serving limits (requestMs stays 0 unless given). */
  limits?: Partial<ServerLimits>;
  /** Serve HTTPS (HTTP/1.1) with this PEM certificate chain and key instead of plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
}

/** The registry's limits: the shared defaults with no whole-request timeout, then overrides. */
export function registryLimits(overrides: Partial<ServerLimits> = {}): ServerLimits {
  return resolveLimits({ requestMs: 0, ...overrides });
}

/** Writes the guard's answer as the spec's error body. */
function ociRespond(res: ServerResponse, status: number, message: string): void {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: "UNKNOWN", message }] }));
  res.writeHead(status, {
    ...API_VERSION_HEADER,
    "Content-Type": "application/json",
    "Content-Length": body.length,
    Connection: "close",
  });
  res.end(body);
}

/** Listens on host:port and serves the registry. */
export async function startRegistryServer(options: RegistryOptions & ListenOptions): Promise<RegistryServer> {
  const logger = options.logger ?? pino({ level: "silent" });
  const limits = registryLimits(options.limits);
  const handler = createRegistryHandler(options);
  const guarded = guardRequests(handler, {
    logger,
    server: "satellite-registry",
    respond: (res, status, message) => ociRespond(res as ServerResponse, status, message),
  });
  const server: Server = options.tls
    ? createHttpsServer(
        { noDelay: true, cert: options.tls.cert, key: options.tls.key, ...tlsLimitOptions(limits) },
        guarded,
      )
    : createServer({ noDelay: true }, guarded);
  // A plain-HTTP client or a failed handshake: the connection is closed; noted at debug only.
  if (options.tls)
    server.on("tlsClientError", (error: Error) =>
      logger.debug({ err: { message: error.message } }, "TLS handshake failed"),
    );
  applyHttp1Limits(server, limits);
  const refusals = createLogThrottle(6);
  capConnections(server, limits, {
    onRefused: (reason, source) =>
      refusals((suppressed) =>
        logger.warn(
          { reason, source, suppressed: suppressed || undefined },
          "connection refused: over the connection cap",
        ),
      ),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    server,
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    port,
    limits,
    uploads: handler.uploads,
    close: async () => {
      // Stop accepting, let requests in flight finish for a while, then cut what is left.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 5000);
      await closed;
      clearTimeout(timer);
      await handler.close();
    },
  };
}
