// The gateway's rpc serving, in three layers: unary Connect and gRPC calls take the lean unary
// path (unary/), other HTTP/2 rpcs go from the raw stream to Connect's handlers
// (transport/h2-rpc-streams.ts), and everything else, HTTP/1.1 streaming and gRPC-Web included,
// goes through connect-node's adapter, whose fallback serves the plain HTTP routes. All layers
// run the same interceptors and the same implementations.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createConnectRouter, createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { clientAddressKey } from "@harbor-satellite/rpc";
import type { Logger } from "@harbor-satellite/telemetry";
import type { HttpHandler } from "./http-types.js";
import { peerKey, type PeerVerifier } from "./peer-identity.js";
import { createH2RpcRouter, type H2StreamRouter } from "./transport/h2-rpc-streams.js";
import type { RequestHandler } from "./transport/listener.js";
import { createUnaryFastPath } from "./unary/unary-fast-path.js";
import { recordingRouter } from "./unary/unary-methods.js";

/** Largest rpc request body (a heartbeat listing thousands of cached images is well under it). */
export const READ_MAX_BYTES = 4 * 1024 * 1024;
/** Compressed calls (a long cached-image list shrinks well) are served by Connect's handlers. */
const HANDLER_OPTIONS = { readMaxBytes: READ_MAX_BYTES, acceptCompression: [compressionGzip, compressionBrotli] };

export interface RpcHandlerOptions {
  routes(router: ConnectRouter): void;
  interceptors: Interceptor[];
  verifyPeer: PeerVerifier;
  /** Requests that are not rpcs. */
  fallback: HttpHandler;
  logger: Logger;
}

export interface RpcHandlers {
  /** HTTP/1.1 requests, and HTTP/2 requests the stream router left alone. */
  handler: RequestHandler;
  /** HTTP/2 streams that are rpcs. */
  rpcStreams: H2StreamRouter;
}

export function createRpcHandlers(options: RpcHandlerOptions): RpcHandlers {
  const { interceptors, verifyPeer } = options;
  const streamRouter = createConnectRouter({ interceptors, ...HANDLER_OPTIONS });
  const { router, methods } = recordingRouter(streamRouter);
  options.routes(router);
  const fastPath = createUnaryFastPath({
    methods,
    interceptors,
    readMaxBytes: READ_MAX_BYTES,
    onWriteError: (error, m) => options.logger.warn({ err: error, rpc: `${m.service.typeName}/${m.method.name}` }, "could not write an rpc reply"),
  });
  const rpcStreams = createH2RpcRouter({
    handlers: streamRouter.handlers,
    fastPath,
    contextValues: (stream) =>
      createContextValues()
        .set(peerKey, verifyPeer({ socket: stream.session?.socket, stream }))
        .set(clientAddressKey, stream.session?.socket?.remoteAddress ?? "unknown"),
    onError: (error, h) => options.logger.error({ err: error, rpc: `${h.service.typeName}/${h.method.name}` }, "rpc handler failed outside Connect"),
  });
  const requestValues = (req: Parameters<RequestHandler>[0]) =>
    createContextValues()
      .set(peerKey, verifyPeer(req))
      .set(clientAddressKey, req.socket?.remoteAddress ?? "unknown");
  const adapter = connectNodeAdapter({ routes: options.routes, interceptors, ...HANDLER_OPTIONS, contextValues: requestValues, fallback: options.fallback }) as RequestHandler;
  const handler: RequestHandler = (req, res) => {
    if (req.httpVersionMajor === 1 && fastPath.serveHttp1(req as IncomingMessage, res as ServerResponse, () => requestValues(req))) return;
    adapter(req, res);
  };
  return { handler, rpcStreams };
}
