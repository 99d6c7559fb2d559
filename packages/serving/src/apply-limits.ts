// Puts a ServerLimits onto Node's servers. Node's defaults leave a server open to clients that
// never finish: no idle timeout at all, HTTP/2 sessions kept forever, 4 billion concurrent
// streams, a TLS handshake allowed two minutes, and header timeouts checked only every 30 s.
import type { Server as HttpServer } from "node:http";
import { constants, type Http2SecureServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
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
export function applyHttp1Limits(
  server: Http1Capable,
  limits: ServerLimits,
  options: { fedSockets?: boolean } = {},
): void {
  const s = server as HttpServer;
  s.headersTimeout = limits.headersMs;
  s.requestTimeout = limits.requestMs;
  s.keepAliveTimeout = limits.keepAliveMs;
  s.maxHeadersCount = limits.maxHeadersCount;
  // A socket with no traffic either way for this long is destroyed (no "timeout" listener).
  s.timeout = limits.idleMs;
  (s as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(
    TIMEOUT_SWEEP_MS,
    limits.headersMs,
  );
  if (options.fedSockets) s.emit("listening");
}

/**
 * Session idle timeout, a stream cap, and on every stream the limits of limitH2Stream, on an
 * HTTP/2 server (adds a "stream" listener of its own; whoever serves the streams adds theirs).
 */
export function applyH2Limits(server: Http2Server | Http2SecureServer, limits: ServerLimits): void {
  // An idle session is destroyed when no "timeout" listener claims it (Node's sessionOnTimeout).
  server.setTimeout(limits.idleMs);
  server.updateSettings({ maxConcurrentStreams: limits.maxConcurrentStreams });
  server.on("stream", (stream: ServerHttp2Stream) => limitH2Stream(stream, limits));
}

const ignore = () => undefined;

/**
 * One HTTP/2 stream's limits: with no bytes either way for `idleMs` (a request body that stalls,
 * a client that stops reading) it is reset, while a long stream that keeps moving, a slow
 * download included, is left alone. A client's RST_STREAM with an error code destroys the
 * stream with an error, which would throw were nobody listening: the listener is set here, first.
 */
export function limitH2Stream(stream: ServerHttp2Stream, limits: Pick<ServerLimits, "idleMs">): void {
  stream.on("error", ignore);
  stream.setTimeout(limits.idleMs, () => resetStream(stream, "the stream was idle too long"));
}

/**
 * Resets a server stream so the client sees it failed: RST_STREAM CANCEL while no response went
 * out, INTERNAL_ERROR once one is under way. (`close(code)` ends the writable side first, so a
 * reply already started would reach the client as complete, truncated, before the reset.)
 */
export function resetStream(stream: ServerHttp2Stream, reason: string): void {
  if (stream.destroyed) return;
  if (stream.headersSent) stream.destroy(new Error(reason));
  else stream.close(constants.NGHTTP2_CANCEL);
}

/**
 * Resets a stream whose work failed with INTERNAL_ERROR. Not `close(code)`: that ends the stream
 * cleanly first, so a reply already under way would reach the client looking complete.
 */
export function failStream(stream: ServerHttp2Stream, reason: string): void {
  if (!stream.destroyed) stream.destroy(new Error(reason));
}

/** TLS server options that bound the handshake. */
export function tlsLimitOptions(limits: ServerLimits): { handshakeTimeout: number } {
  return { handshakeTimeout: limits.firstByteMs };
}
