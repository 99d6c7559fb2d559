// The gateway's rpc serving, in three layers: unary Connect and gRPC calls take the lean unary
// path (unary/), other HTTP/2 rpcs go from the raw stream to Connect's handlers
// (transport/h2-rpc-streams.ts), and everything else, HTTP/1.1 streaming and gRPC-Web included,
// goes from Node's request/response to the same handlers (transport/node-rpc.ts), whose fallback
// serves the plain HTTP routes. All layers run the same interceptors and the same
// implementations, and answer bad client input alike: as the client's error (InvalidArgument for
// undecodable requests, connect-decode-failures.ts; for an authority that is no host and port,
// transport/headers.ts), never by throwing where Node would end the process.
import { failStream } from "@harbor-satellite/serving";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createConnectRouter, createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { clientAddressKey, type BinaryDecoder } from "@harbor-satellite/rpc";
import type { Logger } from "@harbor-satellite/telemetry";
import { decodeFailureInterceptor, withDecodeFailuresAsInvalidArgument } from "./connect-decode-failures.js";
import type { HttpHandler } from "./http-types.js";
import { peerKey, type PeerVerifier } from "./peer-identity.js";
import { createH2RpcRouter, type H2StreamRouter } from "./transport/h2-rpc-streams.js";
import type { RequestHandler } from "./transport/listener.js";
import { createNodeRpcHandler } from "./transport/node-rpc.js";
import { createUnaryFastPath } from "./unary/unary-fast-path.js";
import { STRICT_JSON } from "./unknown-json-fields.js";
import { recordingRouter } from "./unary/unary-methods.js";

/** Largest rpc request body (a heartbeat listing thousands of cached images is well under it). */
export const READ_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Compressed calls (a long cached-image list shrinks well) are served by Connect's handlers. JSON
 * naming a field the request does not have is refused on every protocol (Connect's default is to
 * ignore it, which let a misspelt field pass for an absent one): unknown-json-fields.ts.
 */
const HANDLER_OPTIONS = {
  readMaxBytes: READ_MAX_BYTES,
  acceptCompression: [compressionGzip, compressionBrotli],
  jsonOptions: STRICT_JSON,
};

export interface RpcHandlerOptions {
  routes(router: ConnectRouter): void;
  /** Request message type name → a faster decoder the lean unary path uses (ServiceModule). */
  binaryDecoders?: ReadonlyMap<string, BinaryDecoder>;
  interceptors: Interceptor[];
  verifyPeer: PeerVerifier;
  /** Requests that are not rpcs. */
  fallback: HttpHandler;
  logger: Logger;
  /**
   * False: every rpc goes to Connect's handlers. The differential test serves each call both ways
   * and compares the replies byte for byte; it is also the switch to pull should a Connect
   * upgrade ever make the two disagree (see the gateway's README).
   */
  leanUnary?: boolean;
}

export interface RpcHandlers {
  /** HTTP/1.1 requests, and HTTP/2 requests the stream router left alone. */
  handler: RequestHandler;
  /** HTTP/2 streams that are rpcs. */
  rpcStreams: H2StreamRouter;
}

export function createRpcHandlers(options: RpcHandlerOptions): RpcHandlers {
  const { interceptors, verifyPeer, logger } = options;
  const connectRouter = createConnectRouter({
    interceptors: [decodeFailureInterceptor(), ...interceptors],
    ...HANDLER_OPTIONS,
  });
  const { router, methods: recorded } = recordingRouter(connectRouter);
  options.routes(router);
  const methods = options.leanUnary === false ? new Map() : recorded;
  const handlers = connectRouter.handlers.map(withDecodeFailuresAsInvalidArgument);
  const rpcName = (m: { service: { typeName: string }; method: { name: string } }) =>
    `${m.service.typeName}/${m.method.name}`;
  const fastPath = createUnaryFastPath({
    methods,
    interceptors,
    binaryDecoders: options.binaryDecoders,
    readMaxBytes: READ_MAX_BYTES,
    jsonOptions: STRICT_JSON,
    onWriteError: (error, m) => logger.warn({ err: error, rpc: rpcName(m) }, "could not write an rpc reply"),
  });
  const onError = (error: unknown, h: { service: { typeName: string }; method: { name: string } }) =>
    logger.error({ err: error, rpc: rpcName(h) }, "rpc handler failed outside Connect");
  const streams = createH2RpcRouter({
    handlers,
    fastPath,
    contextValues: (stream) =>
      createContextValues()
        .set(peerKey, verifyPeer({ socket: stream.session?.socket, stream }))
        .set(clientAddressKey, stream.session?.socket?.remoteAddress ?? "unknown"),
    onError,
  });
  const requestValues = (req: Parameters<RequestHandler>[0]) =>
    createContextValues()
      .set(peerKey, verifyPeer(req))
      .set(clientAddressKey, req.socket?.remoteAddress ?? "unknown");
  const rpcs = createNodeRpcHandler({ handlers, contextValues: requestValues, fallback: options.fallback, onError });

  // Last line: whatever a request makes any layer throw is logged and answered here, not left to
  // reach Node's event loop, where it would end the process.
  const handler: RequestHandler = (req, res) => {
    try {
      if (
        req.httpVersionMajor === 1 &&
        fastPath.serveHttp1(req as IncomingMessage, res as ServerResponse, () => requestValues(req))
      )
        return;
      rpcs(req, res);
    } catch (error) {
      logger.error({ err: error, path: req.url }, "request handler threw");
      try {
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      } catch {
        res.destroy();
      }
    }
  };
  const rpcStreams: H2StreamRouter = (stream, headers) => {
    try {
      return streams(stream, headers);
    } catch (error) {
      logger.error({ err: error, path: headers[":path"] }, "rpc stream handler threw");
      failStream(stream, "the rpc stream handler failed");
      return true;
    }
  };
  return { handler, rpcStreams };
}
