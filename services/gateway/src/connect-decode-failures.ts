// Connect's own handlers (gRPC-Web, compressed calls, streaming methods; HTTP/2 streams and Node's
// request/response alike) answer request bytes they cannot decode as Internal. This makes them
// InvalidArgument, as the lean unary path does (request-decode-failures.ts), in one place: the
// handlers both transports serve are wrapped here once.
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
import { Code, createContextKey, createContextValues, type Interceptor } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalHandler, type UniversalServerRequest, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { asInvalidArgument, isDecodeFailure, isDecodeFailureMessage } from "./request-decode-failures.js";

interface CallState {
  reachedInterceptors: boolean;
}

const callStateKey = createContextKey<CallState | undefined>(undefined);

/** Goes first among the interceptors of Connect's handlers wrapped by withDecodeFailuresAsInvalidArgument. */
export function decodeFailureInterceptor(): Interceptor {
  return (next) => async (req) => {
    const state = req.contextValues.get(callStateKey);
    if (state) state.reachedInterceptors = true;
    return req.stream ? next({ ...req, message: invalidArgumentOnDecodeFailure(req.message) }) : next(req);
  };
}

async function* invalidArgumentOnDecodeFailure<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw isDecodeFailure(error) ? asInvalidArgument(error) : error;
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
    return state.reachedInterceptors ? res : rewriteDecodeFailure(res);
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

/** Turns a gRPC status of Internal for undecodable input into InvalidArgument; true when it did. */
function rewriteGrpcStatus(trailer: Headers): boolean {
  if (trailer.get("grpc-status") !== String(Code.Internal) || !isDecodeFailureMessage(grpcMessage(trailer))) return false;
  trailer.set("grpc-status", String(Code.InvalidArgument));
  return true;
}

async function rewriteDecodeFailure(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const type = res.header?.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web")) return { ...res, body: await rewriteGrpcWebTrailer(res.body) };
  if (type.startsWith("application/grpc")) {
    if (res.trailer) rewriteGrpcStatus(res.trailer);
    return res;
  }
  // Connect: an error is a JSON body with a non-200 status. Compressed only when 1 KiB or more,
  // which Connect's short decode-failure messages never are: such an answer is left alone.
  if (res.status === 200 || !type.startsWith("application/json") || res.header?.has("content-encoding")) return res;
  const bytes = await readAll(res.body);
  const error = parseJsonObject(bytes);
  if (error?.code !== codeToString(Code.Internal) || typeof error.message !== "string" || !isDecodeFailureMessage(error.message)) return { ...res, body: createAsyncIterable([bytes]) };
  const body = new TextEncoder().encode(JSON.stringify({ ...error, code: codeToString(Code.InvalidArgument) }));
  const header = new Headers(res.header);
  header.set("content-length", String(body.byteLength));
  return { ...res, status: codeToHttpStatus(Code.InvalidArgument), header, body: createAsyncIterable([body]) };
}

/** gRPC-Web carries its trailer as the body's last frame (flag 0x80); an uncompressed one is rewritten. */
async function rewriteGrpcWebTrailer(body: AsyncIterable<Uint8Array> | undefined): Promise<AsyncIterable<Uint8Array> | undefined> {
  if (!body) return body;
  const bytes = await readAll(body);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = at + 5 <= bytes.length ? new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0) : Infinity;
    if (at + 5 + length > bytes.length) return createAsyncIterable([bytes]);
    const flags = bytes[at];
    const data = bytes.subarray(at + 5, at + 5 + length);
    frames.push(flags === trailerFlag ? frame(flags, rewrittenTrailer(data)) : bytes.subarray(at, at + 5 + length));
    at += 5 + length;
  }
  return createAsyncIterable([concat(frames)]);
}

function rewrittenTrailer(data: Uint8Array): Uint8Array {
  const trailer = trailerParse(data);
  return rewriteGrpcStatus(trailer) ? trailerSerialize(trailer) : data;
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

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
