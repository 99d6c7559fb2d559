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
// the two code attributes; rpc-conventions.ts spells them, for the rpc spans too). Each method,
// system and code gets its series bound once (bound-histogram.ts), so a call costs a bucket
// search, not the SDK's hashing of its attributes.
import { Code, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import {
  RPC_OK,
  rpcAttributes,
  rpcCodeOf as codeOf,
  rpcSystemOf,
  type RpcSystem as System,
} from "../rpc-conventions.js";
import { boundHistogram, type BoundHistogram } from "./bound-histogram.js";
import { DURATION_BUCKETS_S, type Attributes } from "./instruments.js";

const duration = boundHistogram("@harbor-satellite/telemetry", "rpc.server.call.duration", {
  unit: "s",
  description: "Duration of incoming rpcs, from the first interceptor to the reply (or the end of a streamed reply).",
  boundaries: DURATION_BUCKETS_S,
});

const OK = RPC_OK;

/** The series of each outcome of one method, bound on first use. */
class MethodSeries {
  private readonly bound: Record<System, (BoundHistogram | undefined)[]> = { grpc: [], connectrpc: [] };

  constructor(private readonly method: string) {}

  get(system: System, code: number): BoundHistogram {
    const cached = this.bound[system][code];
    if (cached) return cached;
    const attributes: Attributes = rpcAttributes(system, this.method, code);
    return (this.bound[system][code] = duration.bind(attributes));
  }
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
    const system = rpcSystemOf(req.header);
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
