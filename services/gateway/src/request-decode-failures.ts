// Request bytes that do not decode are the client's error: InvalidArgument, on every serving
// layer. Connect answers them as Internal ("parse binary: …" for protobuf that does not parse or
// strings that are not UTF-8, "decompression failed" for a body its encoding cannot undo,
// "received compressed envelope, …" for a frame flagged compressed with no encoding named), which
// tells the client to retry or report a server bug. The lean unary path decodes requests itself
// and says InvalidArgument at once; for Connect's own handlers see connect-decode-failures.ts.
import { Code, ConnectError } from "@connectrpc/connect";

/** Connect's message for a frame flagged compressed in a request that named no encoding. */
export const UNDECLARED_COMPRESSION = "received compressed envelope, but do not know how to decompress";
/** Connect's messages for request bytes it could not decode. */
const DECODE_FAILURE = new RegExp(`^(?:parse binary: |decompression failed$|${UNDECLARED_COMPRESSION}$)`);

/** Whether `error` is Connect's Internal error for request bytes it could not decode. */
export function isDecodeFailure(error: unknown): error is ConnectError {
  return error instanceof ConnectError && error.code === Code.Internal && isDecodeFailureMessage(error.rawMessage);
}

export function isDecodeFailureMessage(message: string): boolean {
  return DECODE_FAILURE.test(message);
}

/** The same error as the client's: InvalidArgument with the same message and metadata (decode failures carry no details). */
export function asInvalidArgument(error: ConnectError): ConnectError {
  return new ConnectError(error.rawMessage, Code.InvalidArgument, error.metadata, undefined, error.cause);
}
