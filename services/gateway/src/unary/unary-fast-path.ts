// The lean unary path: unary rpcs in the Connect protocol (HTTP/1.1 or HTTP/2) and gRPC
// (HTTP/2) go from the socket to the implementation through our interceptors without Connect's
// generic handler machinery, which measured at about 100 µs of the gateway's ~220 µs per
// heartbeat (bench/heartbeat). Requests it does not take fall through to Connect's handlers.
import { failStream } from "@harbor-satellite/serving";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { JsonReadOptions } from "@bufbuild/protobuf";
import type { ServerHttp2Stream } from "node:http2";
import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import type { BinaryDecoder } from "@harbor-satellite/rpc";
import { endAfterWrite } from "../transport/h2-stream-end.js";
import { nodeHeaders, requestUrl, streamUrl, webHeaders } from "../transport/headers.js";
import { CallSignal, invokeUnary } from "./unary-invoke.js";
import type { UnaryMethod, UnaryMethods } from "./unary-methods.js";
import {
  errorReply,
  initialResponse,
  methodCodec,
  parseRequest,
  requestMessageBytes,
  successReply,
  timeoutOf,
  unaryProtocolOf,
  type MethodCodec,
  type UnaryProtocol,
  type UnaryReply,
} from "./unary-protocol.js";

export interface UnaryFastPathOptions {
  methods: UnaryMethods;
  interceptors: readonly Interceptor[];
  /** Request message type name → a faster decoder for binary requests; the rest use protobuf-es. */
  binaryDecoders?: ReadonlyMap<string, BinaryDecoder>;
  /** Largest request body accepted; larger ones get ResourceExhausted. */
  readMaxBytes: number;
  /** How JSON requests are read; give the router's, so both paths refuse (or ignore) unknown fields alike. */
  jsonOptions?: Partial<JsonReadOptions>;
  /** Writing a reply failed (the call itself is answered by then; this is for the log). */
  onWriteError?(error: unknown, method: UnaryMethod): void;
}

export interface UnaryFastPath {
  /** Serves an HTTP/2 stream; false when it is not a call this path takes. */
  serveStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, contextValues: () => ContextValues): boolean;
  /** Serves an HTTP/1.1 request; false when it is not a call this path takes. */
  serveHttp1(req: IncomingMessage, res: ServerResponse, contextValues: () => ContextValues): boolean;
}

interface Target {
  entry: UnaryMethod;
  codec: MethodCodec;
}

export function createUnaryFastPath(options: UnaryFastPathOptions): UnaryFastPath {
  const targets = new Map<string, Target>();
  for (const [path, entry] of options.methods)
    targets.set(path, {
      entry,
      codec: methodCodec(
        entry.method,
        options.readMaxBytes,
        options.jsonOptions,
        options.binaryDecoders?.get(entry.method.input.typeName),
      ),
    });

  const route = (
    method: string | undefined,
    path: string | undefined,
    headers: IncomingHttpHeaders,
    http2: boolean,
  ) => {
    const target = path === undefined ? undefined : targets.get(path);
    if (!target) return undefined;
    const protocol = unaryProtocolOf(method, headers, http2);
    const length = Number(headers["content-length"] ?? 0);
    // A declared oversize body is Connect's to refuse, as it always was.
    return protocol && !(length > options.readMaxBytes) ? { target, protocol } : undefined;
  };

  const handle = async (
    target: Target,
    protocol: UnaryProtocol,
    headers: IncomingHttpHeaders,
    urlOf: () => string,
    body: Promise<Uint8Array>,
    contextValues: ContextValues,
    signal: CallSignal,
  ): Promise<UnaryReply> => {
    const { header: responseHeader, trailer: responseTrailer } = initialResponse(protocol);
    let timer: NodeJS.Timeout | undefined;
    // Answered early (a bad authority or timeout), the body may still fail later: that is no news.
    body.catch(() => undefined);
    try {
      const url = urlOf();
      const timeoutMs = timeoutOf(protocol, headers);
      if (timeoutMs !== undefined)
        timer = setTimeout(
          () => signal.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
          timeoutMs,
        );
      const input = parseRequest(
        target.codec.input(protocol.binary),
        requestMessageBytes(protocol, await body),
        target.entry.method.input,
      );
      const output = await invokeUnary(
        {
          target: target.entry,
          protocolName: protocol.name,
          url,
          header: webHeaders(headers),
          contextValues,
          timeoutMs,
          signal,
          responseHeader,
          responseTrailer,
          input,
        },
        options.interceptors,
      );
      return successReply(
        protocol,
        target.codec.output(protocol.binary).serialize(output),
        responseHeader,
        responseTrailer,
      );
    } catch (error) {
      const err =
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
      return errorReply(protocol, err, responseHeader, responseTrailer);
    } finally {
      clearTimeout(timer);
    }
  };

  /** One call, whichever transport: answer it, and abort its signal if the client goes first. */
  const run = (
    routed: { target: Target; protocol: UnaryProtocol },
    headers: IncomingHttpHeaders,
    exchange: Exchange,
    contextValues: ContextValues,
  ) => {
    const signal = new CallSignal();
    let finished = false;
    exchange.closer.once("close", () => {
      if (!finished) signal.abort(new ConnectError("the client went away before the reply", Code.Canceled));
    });
    void handle(
      routed.target,
      routed.protocol,
      headers,
      exchange.url,
      readBody(exchange.source, options.readMaxBytes, routed.protocol.name === "grpc"),
      contextValues,
      signal,
    )
      .then((reply) => {
        finished = true;
        exchange.write(reply);
      })
      .catch((error: unknown) => {
        options.onWriteError?.(error, routed.target.entry);
        exchange.abandon();
      });
  };

  return {
    serveStream(stream, headers, contextValues) {
      const routed = route(
        headers[":method"] as string | undefined,
        headers[":path"] as string | undefined,
        headers,
        true,
      );
      if (!routed) return false;
      stream.on("error", () => undefined); // a reset stream also closes, which aborts the call
      run(
        routed,
        headers,
        {
          source: stream,
          closer: stream,
          url: () => streamUrl(stream, headers),
          write: (reply) => writeStream(stream, reply),
          abandon: () => {
            failStream(stream, "the rpc reply could not be written");
          },
        },
        contextValues(),
      );
      return true;
    },
    serveHttp1(req, res, contextValues) {
      const routed = route(req.method, req.url, req.headers, false);
      if (!routed) return false;
      run(
        routed,
        req.headers,
        {
          source: req,
          // A request emits "close" once its body is read; the response's tells when the client left.
          closer: res,
          url: () =>
            requestUrl(
              "encrypted" in req.socket && req.socket.encrypted === true,
              req.headers.host,
              req.socket,
              req.url ?? "/",
            ),
          write: (reply) => {
            if (res.destroyed) return;
            res.writeHead(reply.status, nodeHeaders(reply.header));
            res.end(reply.body);
          },
          abandon: () => res.destroy(),
        },
        contextValues(),
      );
      return true;
    },
  };
}

/** The transport side of one call. */
interface Exchange {
  /** The request body. */
  source: NodeJS.ReadableStream;
  /** Emits "close" when the exchange ends, early if the client goes away. */
  closer: NodeJS.EventEmitter;
  /** The request's absolute URL; InvalidArgument when the client named no valid authority. */
  url(): string;
  write(reply: UnaryReply): void;
  /** Drops the connection after a reply could not be written. */
  abandon(): void;
}

/**
 * The whole body; past `limit` bytes, ResourceExhausted (the rest is read and dropped). A gRPC
 * envelope declaring a message over the limit is refused as soon as its header is in, with the
 * declared size, as Connect's gRPC handler words it.
 */
function readBody(source: NodeJS.ReadableStream, limit: number, enveloped: boolean): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = (declared?: number) => {
      refused = true;
      const what = declared === undefined ? "message size" : `message size ${declared}`;
      reject(new ConnectError(`${what} is larger than configured readMaxBytes ${limit}`, Code.ResourceExhausted));
    };
    source.on("data", (chunk: Buffer) => {
      if (refused) return;
      const before = size;
      size += chunk.length;
      if (enveloped && before < 5 && size >= 5) {
        const header = Buffer.concat([...chunks, chunk]);
        const declared = header.readUInt32BE(1);
        if (declared > limit) return refuse(declared);
      }
      if (size > limit) refuse();
      else chunks.push(chunk);
    });
    let ended = false;
    source.once("end", () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    source.once("close", () => {
      if (!ended) reject(new ConnectError("the client closed the stream before the request body ended", Code.Canceled));
    });
  });
}

function writeStream(stream: ServerHttp2Stream, reply: UnaryReply): void {
  if (stream.destroyed) return;
  const headers = nodeHeaders(reply.header, reply.status);
  const trailer = reply.trailer;
  if (trailer) {
    stream.once("wantTrailers", () => stream.sendTrailers(nodeHeaders(trailer)));
    stream.respond(headers, { waitForTrailers: true });
    stream.end(reply.body);
    return;
  }
  stream.respond(headers);
  endAfterWrite(stream, reply.body);
}
