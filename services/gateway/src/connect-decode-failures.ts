// Connect's own handlers (gRPC-Web, compressed calls, streaming methods; HTTP/2 streams and Node's
// request/response alike) answer request bytes they cannot decode as Internal. This makes them
// InvalidArgument, and words an unknown JSON field as the lean unary path does
// (request-decode-failures.ts), in one place: the handlers both transports serve are wrapped here
// once.
//
// No interceptor can do it alone: a unary call's request is read and decoded before the first
// interceptor runs, and all that comes out of the handler is the serialized answer. So:
// - the first interceptor marks the call as having reached the interceptors, and for streaming
//   calls (whose messages are decoded as the implementation reads them, after the interceptors
//   started) turns a decode failure into InvalidArgument where the implementation reads it;
// - a unary answer that is a decode failure from a call that never reached the interceptors is
//   rewritten to InvalidArgument in the protocol's own form (Connect's JSON error body, gRPC's
//   trailer, gRPC-Web's trailer frame). Nothing of ours ran for such a call, so a server error
//   that merely carries such a message (a sibling's undecodable reply, say) is never rewritten.
import { promisify } from "node:util";
import { brotliDecompress, gunzip } from "node:zlib";
import type { DescMessage } from "@bufbuild/protobuf";
import { ConnectError, createContextKey, createContextValues, type Interceptor } from "@connectrpc/connect";
import {
  createAsyncIterable,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { codeFromString, codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { asClientDecodeError, clientDecodeError } from "./request-decode-failures.js";

const gunzipAsync = promisify(gunzip);
const brotliDecompressAsync = promisify(brotliDecompress);

interface CallState {
  reachedInterceptors: boolean;
}

const callStateKey = createContextKey<CallState | undefined>(undefined);

/** Goes first among the interceptors of Connect's handlers wrapped by withDecodeFailuresAsInvalidArgument. */
export function decodeFailureInterceptor(): Interceptor {
  return (next) => async (req) => {
    const state = req.contextValues.get(callStateKey);
    if (state) state.reachedInterceptors = true;
    return req.stream
      ? next({ ...req, message: clientErrorOnDecodeFailure(req.message, req.method.input) })
      : next(req);
  };
}

async function* clientErrorOnDecodeFailure<T>(messages: AsyncIterable<T>, input: DescMessage): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw asClientDecodeError(error, input);
  }
}

/** A handler that answers undecodable unary requests with InvalidArgument (see above); others are returned as they are. */
export function withDecodeFailuresAsInvalidArgument(handler: UniversalHandler): UniversalHandler {
  if (handler.method.methodKind !== "unary") return handler;
  const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const state: CallState = { reachedInterceptors: false };
    const contextValues = req.contextValues ?? createContextValues();
    contextValues.set(callStateKey, state);
    const res = await handler({ ...req, contextValues });
    // A unary call that never reached the interceptors has finished by now: its answer is complete.
    return state.reachedInterceptors ? res : rewriteDecodeFailure(res, handler.method.input);
  };
  return Object.assign(wrapped, handler);
}

const grpcMessage = (trailer: Headers) => {
  try {
    return decodeURIComponent(trailer.get("grpc-message") ?? "");
  } catch {
    return "";
  }
};

/** Rewrites a gRPC status that is a request decode failure as the client's error (clientDecodeError); true when it did. */
function rewriteGrpcStatus(trailer: Headers, input: DescMessage): boolean {
  const client = clientDecodeError(Number(trailer.get("grpc-status")), grpcMessage(trailer), input);
  if (!client) return false;
  setTrailerStatus(trailer, new ConnectError(client.message, client.code));
  return true;
}

async function rewriteDecodeFailure(
  res: UniversalServerResponse,
  input: DescMessage,
): Promise<UniversalServerResponse> {
  const type = res.header?.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web"))
    return { ...res, body: await rewriteGrpcWebTrailer(res.body, input, res.header?.get("grpc-encoding") ?? null) };
  if (type.startsWith("application/grpc")) {
    if (res.trailer) rewriteGrpcStatus(res.trailer, input);
    return res;
  }
  // Connect: an error is a JSON body with a non-200 status, compressed when 1 KiB or more (an
  // unknown field's long name); the rewritten one goes uncompressed, as the lean path sends it.
  if (res.status === 200 || !type.startsWith("application/json")) return res;
  const raw = await readAll(res.body);
  const error = parseJsonObject(await decompressed(raw, res.header?.get("content-encoding") ?? null));
  const code = typeof error?.code === "string" ? codeFromString(error.code) : undefined;
  const client =
    code !== undefined && typeof error?.message === "string"
      ? clientDecodeError(code, error.message, input)
      : undefined;
  if (!client) return { ...res, body: createAsyncIterable([raw]) };
  const body = new TextEncoder().encode(
    JSON.stringify({ ...error, code: codeToString(client.code), message: client.message }),
  );
  const header = new Headers(res.header);
  header.delete("content-encoding");
  header.set("content-length", String(body.byteLength));
  return { ...res, status: codeToHttpStatus(client.code), header, body: createAsyncIterable([body]) };
}

/** A body in the encodings Connect's handlers answer with; undefined for another or a broken one. */
async function decompressed(bytes: Uint8Array, encoding: string | null): Promise<Uint8Array | undefined> {
  try {
    if (encoding === null || encoding === "identity") return bytes;
    if (encoding === "gzip") return await gunzipAsync(bytes);
    if (encoding === "br") return await brotliDecompressAsync(bytes);
  } catch {
    // not ours to fix: left as it is
  }
  return undefined;
}

/**
 * gRPC-Web carries its trailer as the body's last frame (flag 0x80, with 0x01 when compressed, as a
 * long unknown field's message makes it); a rewritten one goes uncompressed.
 */
async function rewriteGrpcWebTrailer(
  body: AsyncIterable<Uint8Array> | undefined,
  input: DescMessage,
  encoding: string | null,
): Promise<AsyncIterable<Uint8Array> | undefined> {
  if (!body) return body;
  const bytes = await readAll(body);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const length =
      at + 5 <= bytes.length ? new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0) : Infinity;
    if (at + 5 + length > bytes.length) return createAsyncIterable([bytes]);
    const flags = bytes[at];
    const whole = bytes.subarray(at, at + 5 + length);
    const trailer =
      (flags & ~1) === trailerFlag ? await decompressed(whole.subarray(5), flags & 1 ? encoding : null) : undefined;
    const rewritten = trailer && rewrittenTrailer(trailer, input);
    frames.push(rewritten ? frame(trailerFlag, rewritten) : whole);
    at += 5 + length;
  }
  return createAsyncIterable([concat(frames)]);
}

/** The trailer with a request decode failure rewritten as the client's error; undefined when there is none. */
function rewrittenTrailer(data: Uint8Array, input: DescMessage): Uint8Array | undefined {
  const trailer = trailerParse(data);
  return rewriteGrpcStatus(trailer, input) ? trailerSerialize(trailer) : undefined;
}

function frame(flags: number, data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + data.byteLength);
  framed[0] = flags;
  new DataView(framed.buffer).setUint32(1, data.byteLength);
  framed.set(data, 5);
  return framed;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0] : new Uint8Array(Buffer.concat(parts));
}

async function readAll(body: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  if (body) for await (const chunk of body) chunks.push(chunk);
  return concat(chunks.length ? chunks : [new Uint8Array(0)]);
}

function parseJsonObject(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
