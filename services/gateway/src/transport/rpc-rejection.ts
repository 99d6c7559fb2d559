// The answer to an rpc refused before any handler sees it (an authority that is no host and
// port), in the protocol the request asked for: gRPC and gRPC-Web get a trailers-only reply with
// the status in its headers, everything else Connect's JSON error with the HTTP status of the code.
// Connect's clients read either as the error itself, as they would a handler's.
import type { ConnectError } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

export function rpcRejection(contentType: string | string[] | undefined, error: ConnectError): UniversalServerResponse {
  const type = typeof contentType === "string" ? contentType : "";
  if (type.startsWith("application/grpc"))
    return { status: 200, header: setTrailerStatus(new Headers({ "content-type": type }), error) };
  const body = errorToJsonBytes(error, undefined);
  return {
    status: codeToHttpStatus(error.code),
    header: new Headers({ "content-type": "application/json", "content-length": String(body.byteLength) }),
    body: createAsyncIterable([body]),
  };
}
