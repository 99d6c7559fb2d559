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
// the two code attributes). Each method, system and code gets its series bound once
// (bound-histogram.ts), so a call costs a bucket search, not the SDK's hashing of its attributes.
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { boundHistogram, type BoundHistogram } from "./bound-histogram.js";
import { DURATION_BUCKETS_S, type Attributes } from "./instruments.js";

const duration = boundHistogram("@harbor-satellite/telemetry", "rpc.server.call.duration", {
  unit: "s",
  description: "Duration of incoming rpcs, from the first interceptor to the reply (or the end of a streamed reply).",
  boundaries: DURATION_BUCKETS_S,
});

/** gRPC status names; index = code. (gRPC spells CANCELLED; Connect spells canceled.) */
const GRPC_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];
/** Connect error codes; index = code (0, success, has no Connect code: "ok"). */
const CONNECT_NAMES = ["ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated"];
/** Codes the conventions say a server SHOULD count as errors (the rest are the caller's). */
const SERVER_ERRORS = new Set<number>([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

type System = "grpc" | "connectrpc";

const OK = 0;

/** The series of each outcome of one method, bound on first use. */
class MethodSeries {
  private readonly bound: Record<System, (BoundHistogram | undefined)[]> = { grpc: [], connectrpc: [] };

  constructor(private readonly method: string) {}

  get(system: System, code: number): BoundHistogram {
    const cached = this.bound[system][code];
    if (cached) return cached;
    const status = (system === "grpc" ? GRPC_NAMES : CONNECT_NAMES)[code] ?? "_OTHER";
    const attributes: Attributes = { "rpc.system.name": system, "rpc.method": this.method, "rpc.status_code": status };
    if (SERVER_ERRORS.has(code)) attributes["error.type"] = status;
    return (this.bound[system][code] = duration.bind(attributes));
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
  const byMethod = new WeakMap<object, MethodSeries>();
  const seriesOf = (req: { method: object & { name: string }; service: { typeName: string } }) => {
    let entry = byMethod.get(req.method);
    if (!entry) byMethod.set(req.method, (entry = new MethodSeries(`${req.service.typeName}/${req.method.name}`)));
    return entry;
  };
  // No async function: its promise and await would cost more than the measurement itself.
  return (next) => (req) => {
    const started = performance.now();
    const series = seriesOf(req);
    const system = systemOf(req.header);
    const done = (code: number) => series.get(system, code).record((performance.now() - started) / 1000);
    return next(req).then(
      (res) => {
        if (!res.stream) {
          done(OK);
          return res;
        }
        return { ...res, message: measured(res.message, done) } as StreamResponse;
      },
      (error: unknown) => {
        done(codeOf(error));
        throw error;
      },
    );
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
