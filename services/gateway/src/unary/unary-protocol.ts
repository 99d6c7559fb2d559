// The wire side of the lean unary path: which requests it takes, how their bodies and timeouts
// are read, and how results and errors are written, for the Connect unary protocol (binary and
// JSON) and gRPC. Everything it does not take (GET, compression, gRPC-Web, odd content types)
// is left to Connect's own handlers, which answer exactly as before. Encodings come from
// Connect's exported protocol helpers, so both paths put the same bytes on the wire.
import type { IncomingHttpHeaders } from "node:http";
import type { DescMessage, DescMethodUnary, JsonReadOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createMethodSerializationLookup, type Serialization } from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  errorToJsonBytes,
  parseTimeout as parseConnectTimeout,
  trailerMux,
} from "@connectrpc/connect/protocol-connect";
import { grpcStatusOk, parseTimeout as parseGrpcTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { BinaryDecoder } from "@harbor-satellite/rpc";
import { asClientDecodeError, UNDECLARED_COMPRESSION } from "../request-decode-failures.js";

export type UnaryProtocolName = "connect" | "grpc";

export interface UnaryProtocol {
  name: UnaryProtocolName;
  binary: boolean;
}

const CONNECT_PROTO: UnaryProtocol = { name: "connect", binary: true };
const CONNECT_JSON: UnaryProtocol = { name: "connect", binary: false };
const GRPC_PROTO: UnaryProtocol = { name: "grpc", binary: true };

/** What goes on the wire: status, headers, body, and (gRPC) trailers. */
export interface UnaryReply {
  status: number;
  header: Headers;
  body: Uint8Array;
  trailer?: Headers;
}

const identity = (encoding: string | string[] | undefined) => encoding === undefined || encoding === "identity";

/** The protocol of a request this path serves, or undefined to leave it to Connect. */
export function unaryProtocolOf(
  method: string | undefined,
  headers: IncomingHttpHeaders,
  http2: boolean,
): UnaryProtocol | undefined {
  if (method !== "POST") return undefined;
  switch (headers["content-type"]) {
    case "application/proto":
      return identity(headers["content-encoding"]) ? CONNECT_PROTO : undefined;
    case "application/json":
    case "application/json; charset=utf-8":
      return identity(headers["content-encoding"]) ? CONNECT_JSON : undefined;
    case "application/grpc":
    case "application/grpc+proto":
      return http2 && identity(headers["grpc-encoding"]) ? GRPC_PROTO : undefined;
    default:
      return undefined;
  }
}

/** The client's deadline in ms, if it sent one; a malformed value is the client's error. */
export function timeoutOf(protocol: UnaryProtocol, headers: IncomingHttpHeaders): number | undefined {
  const value = protocol.name === "grpc" ? headers["grpc-timeout"] : headers["connect-timeout-ms"];
  if (typeof value !== "string") return undefined;
  const parsed =
    protocol.name === "grpc"
      ? parseGrpcTimeout(value, Number.MAX_SAFE_INTEGER)
      : parseConnectTimeout(value, Number.MAX_SAFE_INTEGER);
  if (parsed.error) throw parsed.error;
  return parsed.timeoutMs;
}

/** Request and response (de)serialisers of one method, made once. */
export interface MethodCodec {
  input(binary: boolean): Serialization<unknown>;
  output(binary: boolean): Serialization<unknown>;
}

/**
 * `jsonOptions` as the router's (unknown JSON fields ignored unless it says otherwise, Connect's
 * default). `decoder`, if any, decodes binary requests first; what it leaves (undefined) and
 * bodies over `readMaxBytes` go to Connect's serialization, which decodes or refuses them.
 */
export function methodCodec(
  method: DescMethodUnary,
  readMaxBytes: number,
  jsonOptions?: Partial<JsonReadOptions>,
  decoder?: BinaryDecoder,
): MethodCodec {
  const lookup = createMethodSerializationLookup(method, undefined, jsonOptions, {
    readMaxBytes,
    writeMaxBytes: 0xffffffff,
  });
  const binaryInput = lookup.getI(true) as Serialization<unknown>;
  const fastInput: Serialization<unknown> | undefined = decoder && {
    parse: (bytes) => (bytes.byteLength <= readMaxBytes ? decoder(bytes) : undefined) ?? binaryInput.parse(bytes),
    serialize: (message) => binaryInput.serialize(message),
  };
  return {
    input: (binary) => (binary && fastInput) || (lookup.getI(binary) as Serialization<unknown>),
    output: (binary) => lookup.getO(binary) as Serialization<unknown>,
  };
}

/** The request message (of type `input`); bytes that do not decode are the client's error (InvalidArgument), worded as on Connect's handlers. */
export function parseRequest(serialization: Serialization<unknown>, bytes: Uint8Array, input: DescMessage): unknown {
  try {
    return serialization.parse(bytes);
  } catch (error) {
    throw asClientDecodeError(error, input);
  }
}

/** The request message's bytes: the body itself (Connect) or its one enveloped message (gRPC). */
export function requestMessageBytes(protocol: UnaryProtocol, body: Uint8Array): Uint8Array {
  if (protocol.name === "connect") return body;
  if (body.length === 0)
    throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (body.length < 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  // Flagged compressed with no grpc-encoding: the client's error, in Connect's words.
  if ((body[0] & 0b1) === 1) throw new ConnectError(UNDECLARED_COMPRESSION, Code.InvalidArgument);
  const length = ((body[1] << 24) | (body[2] << 16) | (body[3] << 8) | body[4]) >>> 0;
  if (body.length < 5 + length) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (body.length > 5 + length)
    throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  return body.subarray(5);
}

/** Response headers as the handler starts: the content type, and gRPC's optimistic status. */
export function initialResponse(protocol: UnaryProtocol): { header: Headers; trailer: Headers } {
  if (protocol.name === "grpc")
    return {
      header: new Headers({ "content-type": "application/grpc+proto" }),
      trailer: new Headers({ "grpc-status": grpcStatusOk }),
    };
  return {
    header: new Headers({ "content-type": protocol.binary ? "application/proto" : "application/json" }),
    trailer: new Headers(),
  };
}

export function successReply(
  protocol: UnaryProtocol,
  message: Uint8Array,
  header: Headers,
  trailer: Headers,
): UnaryReply {
  if (protocol.name === "grpc") return { status: 200, header, body: envelope(message), trailer };
  // Without trailers (a heartbeat's reply) the call's own header object is sent: it is not read
  // after the reply, so it need not be copied.
  const muxed = isEmpty(trailer) ? header : trailerMux(header, trailer);
  muxed.set("content-length", String(message.byteLength));
  return { status: 200, header: muxed, body: message };
}

export function errorReply(
  protocol: UnaryProtocol,
  error: ConnectError,
  header: Headers,
  trailer: Headers,
): UnaryReply {
  if (protocol.name === "grpc") {
    setTrailerStatus(trailer, error);
    return { status: 200, header, body: new Uint8Array(0), trailer };
  }
  const muxed = trailerMux(header, trailer);
  muxed.set("content-type", "application/json");
  error.metadata.forEach((value, key) => muxed.set(key, value));
  const body = errorToJsonBytes(error, undefined);
  muxed.set("content-length", String(body.byteLength));
  return { status: codeToHttpStatus(error.code), header: muxed, body };
}

function isEmpty(headers: Headers): boolean {
  for (const _ of headers.keys()) return false;
  return true;
}

function envelope(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.byteLength);
  const length = message.byteLength;
  framed[1] = length >>> 24;
  framed[2] = (length >>> 16) & 0xff;
  framed[3] = (length >>> 8) & 0xff;
  framed[4] = length & 0xff;
  framed.set(message, 5);
  return framed;
}
