// The registry's HTTP edge (node:http): routes a request, runs its handler, and turns whatever
// it throws into the spec's error body (error-response.ts). Read-only mode refuses every write
// with 405 UNSUPPORTED and `Allow: GET, HEAD`, as docker-registry's read-only mode answers 405.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OciError } from "@harbor-satellite/oci";
import { pino, type Logger } from "pino";
import type { ServingStore } from "../store/serving-store.js";
import type { RegistryDeps, RequestContext } from "./context.js";
import { sendError } from "./error-response.js";
import { READ_METHODS } from "./routes.js";
import { matchRoute } from "./router.js";
import { DEFAULT_UPLOAD_IDLE_MS, UploadSessions } from "./upload-sessions.js";

export interface RegistryOptions {
  store: ServingStore;
  logger?: Logger;
  /** Serve pulls only; pushes and deletes get 405. */
  readOnly?: boolean;
  /** Upload sessions idle this long are aborted. Default one hour. */
  uploadIdleMs?: number;
}

export interface RegistryHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Aborts open upload sessions. */
  close(): Promise<void>;
}

export function createRegistryHandler(options: RegistryOptions): RegistryHandler {
  const logger = options.logger ?? pino({ level: "silent" });
  const deps: RegistryDeps = { store: options.store, uploads: new UploadSessions(options.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS), logger };
  const readOnly = options.readOnly === true;
  const debug = logger.isLevelEnabled("debug");

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = debug ? performance.now() : 0;
    if (debug) res.once("finish", () => logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms: +(performance.now() - started).toFixed(2) }, "request"));
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    let allow: Record<string, string> = {};
    try {
      const match = matchRoute(path, method);
      if (!match) throw new OciError("NAME_UNKNOWN", "no such endpoint", { path });
      const methods = match.route.methods;
      const handler = methods[method];
      if (readOnly && !READ_METHODS.has(method)) {
        // docker-registry's read-only mode answers every write this way, whatever the route.
        allow = { Allow: "GET, HEAD" };
        throw new OciError("UNSUPPORTED", "registry is read-only", { method });
      }
      if (!handler) {
        allow = { Allow: Object.keys(methods).join(", ") };
        throw new OciError("UNSUPPORTED", "method not allowed", { method });
      }
      const ctx: RequestContext = { req, res, params: match.params, deps, query: () => new URLSearchParams(q < 0 ? "" : url.slice(q + 1)) };
      const result = handler(ctx);
      if (result) result.catch((error: unknown) => sendError(req, res, error, logger, allow));
    } catch (error) {
      sendError(req, res, error, logger, allow);
    }
  };
  return Object.assign(handle, { close: () => deps.uploads.close() });
}

export interface RegistryServer {
  server: Server;
  /** `http://host:port` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** On close, how long requests in flight may take before their connections are cut. */
  drainMs?: number;
}

/** Listens on host:port and serves the registry. */
export async function startRegistryServer(options: RegistryOptions & ListenOptions): Promise<RegistryServer> {
  const handler = createRegistryHandler(options);
  // No whole-request timeout: a multi-gigabyte push may take long. Idle sockets still time out.
  const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000, noDelay: true }, handler);
  server.setTimeout(10 * 60_000);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    server,
    url: `http://${host}:${port}`,
    port,
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
