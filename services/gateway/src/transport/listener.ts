// One port for every protocol. Plaintext: the first bytes decide (sniffer.ts): the HTTP/2
// connection preface goes to the HTTP/2 server (gRPC, h2c Connect), anything else to HTTP/1.1
// (Connect JSON, gRPC-Web, curl). TLS: ALPN decides, in one secure server with HTTP/1.1
// fallback. HTTP/2 rpcs are served from the raw streams (h2-rpc-streams.ts); other HTTP/2
// requests and all of HTTP/1.1 get Node's request/response objects.
//
// Every server here takes its limits from @harbor-satellite/serving: first-byte (or TLS
// handshake), header, request, idle and keep-alive timeouts, total and per-source connection
// caps, and the HTTP/2 stream cap and per-stream idle timeout; and every request runs under one
// guard per kind (request/response, raw stream), so nothing a request does can throw out of it.
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2SecureServer,
  type Http2Session,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerHttp2Stream,
} from "node:http2";
import type { AddressInfo, Server, Socket } from "node:net";
import {
  applyH2Limits,
  applyHttp1Limits,
  capConnections,
  createLogThrottle,
  defaultLimits,
  guardRequests,
  guardStreams,
  tlsLimitOptions,
  type ServerLimits,
} from "@harbor-satellite/serving";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { serveCompat } from "./h2-compat.js";
import type { H2StreamRouter } from "./h2-rpc-streams.js";
import { createSniffingServer } from "./sniffer.js";

export type RequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

const LISTEN_BACKLOG = 4096;
const SERVER_NAME = "ground-control";

export interface Listener {
  readonly port: number;
  /**
   * Stops accepting, lets requests in flight finish for up to `drainMs` (HTTP/2 sessions get a
   * GOAWAY, idle HTTP/1.1 connections are closed at once), then cuts whatever is left.
   */
  close(drainMs?: number): Promise<void>;
}

/** How long close() lets requests in flight finish by default. */
export const DEFAULT_DRAIN_MS = 5000;

export interface ListenOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  /** Takes the HTTP/2 streams that are rpcs; the rest go to `handler`. */
  rpcStreams?: H2StreamRouter;
  /** Certificate, key and client-certificate options; plaintext when absent. */
  tls?: SecureServerOptions;
  /** Called with the TLS server, e.g. to swap its certificate when an SVID rotates. */
  onTlsServer?: (server: Http2SecureServer) => void;
  /** Timeouts and caps; defaults from packages/serving (connection cap under the file limit). */
  limits?: ServerLimits;
  /** Where the guards' answers and refused connections are logged (both throttled). */
  logger?: Pick<Logger, "error" | "warn">;
}

interface Serving {
  limits: ServerLimits;
  logger: Pick<Logger, "error" | "warn">;
  handler: RequestHandler;
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const limits = options.limits ?? defaultLimits();
  const logger = options.logger ?? createLogger({ name: SERVER_NAME });
  const handler = guardRequests(options.handler, { logger, server: SERVER_NAME }) as RequestHandler;
  const onStream = guardStreams(
    (stream, headers, _flags: number, rawHeaders: string[]) => {
      if (options.rpcStreams?.(stream, headers)) return;
      serveCompat(stream, headers, rawHeaders, handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
    },
    { logger, server: SERVER_NAME },
  );
  const serving: Serving = { limits, logger, handler, onStream };
  const { server, inner } = options.tls ? createTlsServer(options, serving) : createPlainServer(serving);

  capConnections(server, limits, { onRefused: refusalLog(logger, limits) });
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const sessions = new Set<Http2Session>();
  for (const h2 of [server, ...inner]) {
    h2.on("session", (session: Http2Session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A fleet reconnecting at once (after a restart) overflows Node's default accept queue of 511,
    // and every refused SYN waits for its retransmission: 1 s, then 3 s. The kernel caps this at
    // net.core.somaxconn.
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // After listening, an accept() that fails (EMFILE past the file limit) is an "error" event on
  // the server: unheard, Node would throw it and end the process.
  const acceptErrors = createLogThrottle(6);
  server.on("error", (error) =>
    acceptErrors((suppressed) =>
      logger.error({ err: error, suppressed: suppressed || undefined }, "the listener could not accept a connection"),
    ),
  );
  return {
    port: (server.address() as AddressInfo).port,
    close: async (drainMs = DEFAULT_DRAIN_MS) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The servers that were handed sockets stop their timeout sweeps.
      for (const s of inner) s.close();
      // Keep-alive connections become idle as their last reply goes out: close them as they do.
      const closeIdle = () => {
        for (const s of [server, ...inner]) (s as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      };
      closeIdle();
      for (const session of sessions) session.close();
      const drained = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          closeIdle();
          if (sockets.size === 0) {
            clearInterval(check);
            resolve();
          }
        }, 25);
        setTimeout(() => {
          clearInterval(check);
          resolve();
        }, drainMs).unref();
      });
      await drained;
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Refused connections, at most a few lines a minute, each saying how many it stands for. */
function refusalLog(logger: Pick<Logger, "warn">, limits: ServerLimits) {
  const log = createLogThrottle(6);
  return (reason: "total" | "per-source", source: string) =>
    log((suppressed) =>
      logger.warn(
        {
          reason,
          source,
          maxConnections: limits.maxConnections,
          maxConnectionsPerSource: limits.maxConnectionsPerSource,
          alsoRefused: suppressed || undefined,
        },
        "connection refused: too many open connections",
      ),
    );
}

function createTlsServer(options: ListenOptions, serving: Serving): { server: Server; inner: Server[] } {
  const server = createSecureServer({
    ...options.tls,
    allowHTTP1: true,
    ...tlsLimitOptions(serving.limits),
    settings: { ...options.tls?.settings, maxConcurrentStreams: serving.limits.maxConcurrentStreams },
  });
  applyHttp1Limits(server, serving.limits);
  applyH2Limits(server, serving.limits);
  server.on("stream", serving.onStream);
  // HTTP/1.1 over TLS arrives as "request" events. Node turns on its HTTP/2 compat layer when a
  // "request" listener is added (through a "newListener" hook), which would handle every HTTP/2
  // stream a second time; dropping the hook first keeps streams ours alone.
  server.removeAllListeners("newListener");
  server.on("request", serving.handler);
  if (server.listeners("stream").some((l) => l.name.includes("onServerStream")))
    throw new Error("Node's HTTP/2 compat layer attached itself to the TLS server; streams would be handled twice");
  options.onTlsServer?.(server);
  return { server, inner: [] };
}

function createPlainServer(serving: Serving): { server: Server; inner: Server[] } {
  const http1 = createHttp1Server(serving.handler as (req: IncomingMessage, res: ServerResponse) => void);
  applyHttp1Limits(http1, serving.limits, { fedSockets: true });
  const h2c: Http2Server = createH2cServer();
  applyH2Limits(h2c, serving.limits);
  h2c.on("stream", serving.onStream);
  return { server: createSniffingServer({ http1, h2c, firstByteMs: serving.limits.firstByteMs }), inner: [http1, h2c] };
}
