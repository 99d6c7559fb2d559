// A Connect interceptor recording `rpc.server.call.duration` (seconds) for every rpc, the current
// OpenTelemetry RPC convention (semantic conventions ≥ 1.38, which replaced `rpc.server.duration`
// in milliseconds and the `rpc.service` / `rpc.grpc.status_code` / `rpc.connect_rpc.error_code`
// attributes):
//   rpc.system.name  "grpc" for gRPC and gRPC-Web callers, "connectrpc" for the Connect protocol
//   rpc.method       fully qualified: harbor.satellite.heartbeat.v1.HeartbeatService/Sync
//   rpc.status_code  that system's own spelling: gRPC "OK", "NOT_FOUND"…; Connect "ok", "not_found"…
//   error.type       the status code again, only for the codes the conventions count as server
//                    errors (unknown, deadline exceeded, unimplemented, internal, unavailable, data loss)
// Rate, latency and errors per method all come from this one histogram (its _count, buckets and
// the two code attributes). Attribute sets are built once per method and code and reused, so a
// call allocates nothing here.
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { DURATION_BUCKETS_S, instrumentScope, type Attributes } from "./instruments.js";

const duration = instrumentScope("@harbor-satellite/telemetry").histogram("rpc.server.call.duration", {
  unit: "s",
  description: "Duration of incoming rpcs, from the first interceptor to the reply (or the end of a streamed reply).",
  advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
});

/** gRPC status names; index = code. (gRPC spells CANCELLED; Connect spells canceled.) */
const GRPC_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];
/** Connect error codes; index = code (0, success, has no Connect code: "ok"). */
const CONNECT_NAMES = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"];
/** Codes the conventions say a server SHOULD count as errors (the rest are the caller's). */
const SERVER_ERRORS = new Set<number>([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

type System = "grpc" | "connectrpc";

const OK = 0;

/** The attribute set of one outcome of one method, built on first use. */
class MethodAttributes {
  private readonly sets: Record<System, (Attributes | undefined)[]> = { grpc: [], connectrpc: [] };

  constructor(private readonly method: string) {}

  get(system: System, code: number): Attributes {
    const cached = this.sets[system][code];
    if (cached) return cached;
    const status = (system === "grpc" ? GRPC_NAMES : CONNECT_NAMES)[code] ?? "_OTHER";
    const attributes: Attributes = { "rpc.system.name": system, "rpc.method": this.method, "rpc.status_code": status };
    if (SERVER_ERRORS.has(code)) attributes["error.type"] = status;
    this.sets[system][code] = attributes;
    return attributes;
  }
}

/** gRPC and gRPC-Web requests carry an application/grpc… content type; Connect's do not. */
function systemOf(header: Headers): System {
  return header.get("content-type")?.startsWith("application/grpc") ? "grpc" : "connectrpc";
}

function codeOf(error: unknown): number {
  return error instanceof ConnectError ? error.code : ConnectError.from(error).code;
}

/**
 * Server side: put it first in the interceptor list, so the duration covers the others
 * (authorization, error mapping) and the code is the one the caller receives.
 */
export function serverMetricsInterceptor(): Interceptor {
  const byMethod = new WeakMap<object, MethodAttributes>();
  const attributesOf = (method: object, name: string) => {
    let entry = byMethod.get(method);
    if (!entry) byMethod.set(method, (entry = new MethodAttributes(name)));
    return entry;
  };
  return (next) => async (req) => {
    const started = performance.now();
    const attributes = attributesOf(req.method, `${req.service.typeName}/${req.method.name}`);
    const system = systemOf(req.header);
    const done = (code: number) => duration.record((performance.now() - started) / 1000, attributes.get(system, code));
    let res;
    try {
      res = await next(req);
    } catch (error) {
      done(codeOf(error));
      throw error;
    }
    if (!res.stream) {
      done(OK);
      return res;
    }
    return { ...res, message: measured(res.message, done) } as StreamResponse;
  };
}

/** A streamed reply is done when its last message went, it failed, or the caller went away. */
async function* measured<T>(messages: AsyncIterable<T>, done: (code: number) => void): AsyncIterable<T> {
  let code: number = Code.Canceled;
  try {
    yield* messages;
    code = OK;
  } catch (error) {
    code = codeOf(error);
    throw error;
  } finally {
    done(code);
  }
}
