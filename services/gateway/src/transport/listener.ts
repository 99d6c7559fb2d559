// One port for every protocol. Plaintext: the first bytes decide — the HTTP/2 connection preface
// goes to the HTTP/2 server (gRPC, h2c Connect), anything else to HTTP/1.1 (Connect JSON,
// gRPC-Web, curl). TLS: ALPN decides, in one secure server with HTTP/1.1 fallback. HTTP/2 rpcs
// are served from the raw streams (h2-rpc-streams.ts); other HTTP/2 requests and all of
// HTTP/1.1 get Node's request/response objects.
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2cServer, createSecureServer, type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders, type SecureServerOptions, type ServerHttp2Stream } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { serveCompat } from "./h2-compat.js";
import type { H2StreamRouter } from "./h2-rpc-streams.js";

export type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;

const LISTEN_BACKLOG = 4096;

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

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
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const sockets = new Set<Socket>();
  const server = options.tls ? createTlsServer(options) : createSniffingServer(options);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A fleet reconnecting at once (after a restart) overflows Node's default accept queue of 511,
    // and every refused SYN waits for its retransmission: 1 s, then 3 s. The kernel caps this at
    // net.core.somaxconn.
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Every HTTP/2 stream: an rpc, or Node's compat objects for the plain routes. */
function onStream(server: Http2Server | Http2SecureServer, options: ListenOptions): void {
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    if (options.rpcStreams?.(stream, headers)) return;
    serveCompat(stream, headers, rawHeaders, options.handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  });
}

function createTlsServer(options: ListenOptions): Server {
  const server = createSecureServer({ ...options.tls, allowHTTP1: true });
  onStream(server, options);
  // HTTP/1.1 over TLS arrives as "request" events. Node turns on its HTTP/2 compat layer when a
  // "request" listener is added (through a "newListener" hook), which would handle every HTTP/2
  // stream a second time; dropping the hook first keeps streams ours alone.
  server.removeAllListeners("newListener");
  server.on("request", options.handler);
  if (server.listenerCount("stream") !== 1) throw new Error("Node's HTTP/2 compat layer attached itself to the TLS server; streams would be handled twice");
  options.onTlsServer?.(server);
  return server;
}

function createSniffingServer(options: ListenOptions): Server {
  const http1 = createHttp1Server(options.handler as (req: IncomingMessage, res: ServerResponse) => void);
  http1.keepAliveTimeout = 65_000;
  const h2c = createH2cServer();
  onStream(h2c, options);
  return createNetServer((socket) => {
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      const isH2 = first.length >= H2_PREFACE.length ? first.subarray(0, H2_PREFACE.length).equals(H2_PREFACE) : H2_PREFACE.subarray(0, first.length).equals(first);
      if (isH2) {
        // The HTTP/2 session reads the buffered preface itself on the next tick; resuming
        // here would flush it to nobody.
        h2c.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  });
}
