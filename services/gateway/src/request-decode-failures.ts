// Request bytes that do not decode are the client's error: InvalidArgument, on every serving
// layer. Connect answers them as Internal ("parse binary: …" for protobuf that does not parse or
// strings that are not UTF-8, "decompression failed" for a body its encoding cannot undo,
// "received compressed envelope, …" for a frame flagged compressed with no encoding named), which
// tells the client to retry or report a server bug. The lean unary path decodes requests itself
// and says InvalidArgument at once; for Connect's own handlers see connect-decode-failures.ts.
// JSON naming an unknown field is InvalidArgument already; both layers word it alike, naming the
// field (unknown-json-fields.ts).
import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { unknownFieldMessage } from "./unknown-json-fields.js";

/** Connect's message for a frame flagged compressed in a request that named no encoding. */
export const UNDECLARED_COMPRESSION = "received compressed envelope, but do not know how to decompress";
/** Connect's messages for request bytes it could not decode. */
const DECODE_FAILURE = new RegExp(`^(?:parse binary: |decompression failed$|${UNDECLARED_COMPRESSION}$)`);

function isDecodeFailureMessage(message: string): boolean {
  return DECODE_FAILURE.test(message);
}

/** A failed request decode as the client gets it, or undefined to leave code and message as they are. */
export function clientDecodeError(
  code: Code,
  message: string,
  input: DescMessage,
): { code: Code; message: string } | undefined {
  if (code === Code.Internal && isDecodeFailureMessage(message)) return { code: Code.InvalidArgument, message };
  const unknownField = code === Code.InvalidArgument ? unknownFieldMessage(message, input) : undefined;
  return unknownField === undefined ? undefined : { code, message: unknownField };
}

/** An error thrown while decoding a request message of type `input`, as the client gets it (metadata kept). */
export function asClientDecodeError(error: unknown, input: DescMessage): unknown {
  if (!(error instanceof ConnectError)) return error;
  const client = clientDecodeError(error.code, error.rawMessage, input);
  return client ? new ConnectError(client.message, client.code, error.metadata, undefined, error.cause) : error;
}
