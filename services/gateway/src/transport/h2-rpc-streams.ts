// RPCs over HTTP/2 served straight from Node's `stream` events. Node's compatibility layer
// (Http2ServerRequest/Response) and connect-node's adapter on top of it cost about a third of the
// gateway's CPU on the heartbeat path (thousands of small unary calls a second): two wrapper
// objects and a Readable per call, headers converted twice, and an AbortController aborted after
// every call, each abort building a DOMException with a stack trace. Here the stream is handed to
// Connect's protocol handlers directly; they still do all of Connect, gRPC and gRPC-Web
// (validation, interceptors, errors, compression, limits). Only the transport glue is ours, and
// it aborts the request signal only when the client really went away.
import { failStream } from "@harbor-satellite/serving";
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import type { UnaryFastPath } from "../unary/unary-fast-path.js";
import { streamBody } from "./h2-stream-body.js";
import { endAfterWrite } from "./h2-stream-end.js";
import { nodeHeaders, streamUrl, webHeaders } from "./headers.js";
import { rpcRejection } from "./rpc-rejection.js";

/** Takes a stream when its path is an rpc; returns false to leave it to the HTTP routes. */
export type H2StreamRouter = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

export interface H2RpcOptions {
  handlers: readonly UniversalHandler[];
  /** Per-call context (the verified TLS peer). */
  contextValues(stream: ServerHttp2Stream): ContextValues;
  /** Takes the unary calls it can serve before Connect's handlers see them. */
  fastPath?: UnaryFastPath;
  /** A handler failed outside Connect's own error handling (a bug, or a write to a dead stream). */
  onError(error: unknown, handler: UniversalHandler): void;
}

export function createH2RpcRouter(options: H2RpcOptions): H2StreamRouter {
  const byPath = new Map<string, UniversalHandler>();
  for (const handler of options.handlers) byPath.set(handler.requestPath, handler);
  return (stream, headers) => {
    if (options.fastPath?.serveStream(stream, headers, () => options.contextValues(stream))) return true;
    const path = headers[":path"] ?? "";
    const query = path.indexOf("?");
    const handler = byPath.get(query < 0 ? path : path.slice(0, query));
    if (!handler) return false;
    serve(stream, headers, handler, options).catch((error: unknown) => {
      if (ConnectError.from(error).code !== Code.Aborted) options.onError(error, handler);
      failStream(stream, "the rpc failed after its reply started");
    });
    return true;
  };
}

async function serve(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  handler: UniversalHandler,
  options: H2RpcOptions,
): Promise<void> {
  let url: string;
  try {
    url = streamUrl(stream, headers);
  } catch (error) {
    // An :authority that is no host and port: answered before any handler, in the call's
    // protocol; the body is not read, only drained.
    stream.resume();
    return writeResponse(stream, rpcRejection(headers["content-type"], ConnectError.from(error)), true);
  }
  const controller = new AbortController();
  let finished = false;
  stream.once("close", () => {
    if (!finished)
      controller.abort(
        new ConnectError(
          "the client closed the stream",
          stream.rstCode === constants.NGHTTP2_CANCEL ? Code.Canceled : Code.Aborted,
        ),
      );
  });
  const body = streamBody(stream);
  const request: UniversalServerRequest = {
    httpVersion: "2.0",
    method: headers[":method"] ?? "",
    url,
    header: webHeaders(headers),
    body,
    signal: controller.signal,
    contextValues: options.contextValues(stream),
  };
  try {
    await writeResponse(stream, await handler(request), handler.method.methodKind === "unary");
  } finally {
    finished = true;
    body.discard();
  }
}

/**
 * Sends status and headers once the first body chunk exists (the implementation may still set
 * headers until then), the body with backpressure, then trailers (gRPC's status lives there).
 * A unary reply's body goes out with the end of the stream (one DATA frame); streaming replies
 * write each message as it comes, since the client may wait for it before sending the next.
 */
async function writeResponse(
  stream: ServerHttp2Stream,
  response: UniversalServerResponse,
  unary: boolean,
): Promise<void> {
  const body = response.body?.[Symbol.asyncIterator]();
  try {
    const chunk = body ? await body.next() : undefined;
    if (stream.destroyed) return;
    const trailer = response.trailer;
    if (trailer) stream.once("wantTrailers", () => stream.sendTrailers(nodeHeaders(trailer)));
    const empty = !chunk || chunk.done === true;
    stream.respond(nodeHeaders(response.header, response.status), {
      endStream: empty && !trailer,
      waitForTrailers: trailer !== undefined,
    });
    if (empty) {
      if (trailer) stream.end();
      return;
    }
    const it = body as AsyncIterator<Uint8Array>;
    if (unary) {
      let last = (chunk as IteratorYieldResult<Uint8Array>).value;
      for (let next = await it.next(); !next.done; next = await it.next()) {
        if (stream.destroyed) return;
        if (!stream.write(last)) await drained(stream);
        last = next.value;
      }
      if (!stream.destroyed) endAfterWrite(stream, last);
      return;
    }
    for (let next = chunk as IteratorResult<Uint8Array>; !next.done; next = await it.next()) {
      if (stream.destroyed) return;
      if (!stream.write(next.value)) await drained(stream);
    }
    if (!stream.destroyed) stream.end();
  } finally {
    await body?.return?.().catch(() => undefined);
  }
}

function drained(stream: ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
