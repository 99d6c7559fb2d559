// Puts a ServerLimits onto Node's servers. Node's defaults leave a server open to clients that
// never finish: no idle timeout at all, HTTP/2 sessions kept forever, 4 billion concurrent
// streams, a TLS handshake allowed two minutes, and header timeouts checked only every 30 s.
import type { Server as HttpServer } from "node:http";
import type { Http2SecureServer, Http2Server } from "node:http2";
import type { ServerLimits } from "./limits.js";

/** How often Node sweeps connections for expired header and request timeouts. */
const TIMEOUT_SWEEP_MS = 1000;

type Http1Capable = HttpServer | Http2SecureServer;

/**
 * Header, request, keep-alive and idle timeouts on an HTTP/1.1 server (or an HTTP/2 TLS server
 * with HTTP/1.1 fallback). `fedSockets`: the server never listens itself but is handed sockets by
 * another listener (a protocol-sniffing front); Node starts its timeout sweep only on
 * "listening", so it is started here, and stopped by the server's close().
 */
export function applyHttp1Limits(server: Http1Capable, limits: ServerLimits, options: { fedSockets?: boolean } = {}): void {
  const s = server as HttpServer;
  s.headersTimeout = limits.headersMs;
  s.requestTimeout = limits.requestMs;
  s.keepAliveTimeout = limits.keepAliveMs;
  s.maxHeadersCount = limits.maxHeadersCount;
  // A socket with no traffic either way for this long is destroyed (no "timeout" listener).
  s.timeout = limits.idleMs;
  (s as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(TIMEOUT_SWEEP_MS, limits.headersMs);
  if (options.fedSockets) s.emit("listening");
}

/** Session idle timeout and a stream cap on an HTTP/2 server. */
export function applyH2Limits(server: Http2Server | Http2SecureServer, limits: ServerLimits): void {
  // An idle session is destroyed when no "timeout" listener claims it (Node's sessionOnTimeout).
  server.setTimeout(limits.idleMs);
  server.updateSettings({ maxConcurrentStreams: limits.maxConcurrentStreams });
}

/** TLS server options that bound the handshake. */
export function tlsLimitOptions(limits: ServerLimits): { handshakeTimeout: number } {
  return { handshakeTimeout: limits.firstByteMs };
}
