// The OpenTelemetry RPC conventions (semantic conventions ≥ 1.38) shared by the rpc server span
// (interceptors.ts) and the rpc.server.call.duration metric (metrics/rpc-server.ts), so a trace and
// a metric of one call carry the same attributes:
//   rpc.system.name  "grpc" for gRPC and gRPC-Web callers, "connectrpc" for the Connect protocol
//   rpc.method       fully qualified: harbor.satellite.heartbeat.v1.HeartbeatService/Sync
//   rpc.status_code  that system's own spelling: gRPC "OK", "NOT_FOUND"…; Connect "ok", "not_found"…
//   error.type       the status code again, only for the codes the conventions count as server
//                    errors (unknown, deadline exceeded, unimplemented, internal, unavailable, data loss)
import { Code, ConnectError } from "@connectrpc/connect";

/** gRPC status names; index = code. (gRPC spells CANCELLED; Connect spells canceled.) */
const GRPC_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];
/** Connect error codes; index = code (0, success, has no Connect code: "ok"). */
const CONNECT_NAMES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];
/** Codes the conventions say a server SHOULD count as errors (the rest are the caller's). */
const SERVER_ERRORS = new Set<number>([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

export type RpcSystem = "grpc" | "connectrpc";

export const RPC_OK = 0;

/** gRPC and gRPC-Web requests carry an application/grpc… content type; Connect's do not. */
export function rpcSystemOf(header: Headers): RpcSystem {
  return header.get("content-type")?.startsWith("application/grpc") ? "grpc" : "connectrpc";
}

/** The code a failed call answers with. */
export function rpcCodeOf(error: unknown): number {
  return error instanceof ConnectError ? error.code : ConnectError.from(error).code;
}

/** Connect's spelling of a code (`invalid_argument`, `unavailable`…; 0 is `ok`), `_OTHER` for none. */
export function connectCodeName(code: number): string {
  return CONNECT_NAMES[code] ?? "_OTHER";
}

/** The system's spelling of a status code. */
export function rpcStatusName(system: RpcSystem, code: number): string {
  return (system === "grpc" ? GRPC_NAMES : CONNECT_NAMES)[code] ?? "_OTHER";
}

/** True for the codes that are the server's fault (span status ERROR, `error.type` set). */
export function isServerFault(code: number): boolean {
  return SERVER_ERRORS.has(code);
}

/** The attributes of one call's outcome: rpc.system.name, rpc.method, rpc.status_code, and error.type on server faults. */
export function rpcAttributes(system: RpcSystem, method: string, code: number): Record<string, string> {
  const status = rpcStatusName(system, code);
  const attributes: Record<string, string> = {
    "rpc.system.name": system,
    "rpc.method": method,
    "rpc.status_code": status,
  };
  if (isServerFault(code)) attributes["error.type"] = status;
  return attributes;
}
