// RPCs arriving as Node's request/response objects (HTTP/1.x, and HTTP/2 requests the stream
// router left alone) handed to Connect's universal handlers, the same handlers the HTTP/2 stream
// router serves; other paths go to the fallback (the plain HTTP routes). It does what
// connect-node's adapter did, except where that let a client end the process: the adapter built
// the request URL inside the request listener and threw there when the request named no
// authority (HTTP/1.0 without Host) or one that is no host and port. Here a request naming none
// is served at the local address, a bad one is answered InvalidArgument, and failures are
// reported to the gateway's logger instead of the console.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { TLSSocket } from "node:tls";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { HttpHandler } from "../http-types.js";
import { requestUrl, webHeaders } from "./headers.js";
import type { RequestHandler } from "./listener.js";
import { rpcRejection } from "./rpc-rejection.js";

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

export interface NodeRpcOptions {
  handlers: readonly UniversalHandler[];
  /** Per-call context (the verified TLS peer, the client's address). */
  contextValues(req: NodeRequest): ContextValues;
  /** Requests that are not rpcs. */
  fallback: HttpHandler;
  /** A call failed outside Connect's own error handling (a bug, or a write to a dead connection). */
  onError(error: unknown, handler: UniversalHandler): void;
}

export function createNodeRpcHandler(options: NodeRpcOptions): RequestHandler {
  const byPath = new Map<string, UniversalHandler>();
  for (const handler of options.handlers) byPath.set(handler.requestPath, handler);
  return (req, res) => {
    const handler = byPath.get((req.url ?? "").split("?", 1)[0]);
    if (!handler) {
      options.fallback(req, res);
      return;
    }
    serve(req, res, handler, options).catch((error: unknown) => {
      if (ConnectError.from(error).code !== Code.Aborted) options.onError(error, handler);
      res.destroy();
    });
  };
}

async function serve(
  req: NodeRequest,
  res: NodeResponse,
  handler: UniversalHandler,
  options: NodeRpcOptions,
): Promise<void> {
  let url: string;
  try {
    const encrypted = (req.socket as TLSSocket | null)?.encrypted === true;
    url = requestUrl(encrypted, "authority" in req ? req.authority : req.headers.host, req.socket, req.url ?? "/");
  } catch (error) {
    req.resume(); // the body is not read: let it drain so the connection can carry the answer
    return write(rpcRejection(req.headers["content-type"], ConnectError.from(error)), res);
  }
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished)
      controller.abort(new ConnectError("the client went away before the reply", Code.Canceled));
  });
  const response = await handler({
    httpVersion: req.httpVersion,
    method: req.method ?? "",
    url,
    header: webHeaders(req.headers),
    body: req as AsyncIterable<Uint8Array>,
    signal: controller.signal,
    contextValues: options.contextValues(req),
  });
  await write(response, res);
}

function write(response: UniversalServerResponse, res: NodeResponse): Promise<void> {
  return universalResponseToNodeResponse(response, res as Parameters<typeof universalResponseToNodeResponse>[1]);
}
