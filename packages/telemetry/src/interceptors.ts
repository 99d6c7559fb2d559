// Connect interceptors: a server span per rpc (continuing the caller's trace), and trace-context
// propagation on outgoing calls, so one trace spans satellite → gateway → service → Harbor.
// The server span follows the RPC span conventions (semantic conventions ≥ 1.38), with the same
// attributes as the rpc.server.call.duration metric (rpc-conventions.ts): kind SERVER, named by the
// fully-qualified method (harbor.satellite.heartbeat.v1.HeartbeatService/Sync), rpc.system.name,
// rpc.method, rpc.status_code, and error.type with status ERROR only for server faults (a refused
// caller is an answer, not a failure of the server).
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { context, trace, SpanKind, SpanStatusCode, type Span } from "@opentelemetry/api";
import type { Logger } from "pino";
import { isServerFault, RPC_OK, rpcCodeOf, rpcStatusName, rpcSystemOf, type RpcSystem } from "./rpc-conventions.js";
import { extractTraceContext, injectTraceContext } from "./tracing.js";

const tracer = () => trace.getTracer("@harbor-satellite/telemetry/connect");

const UNEXPECTED = new Set([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unimplemented]);

/** Ends a server span with the call's outcome. */
function finish(span: Span, system: RpcSystem, code: number, error?: ConnectError): void {
  if (span.isRecording()) {
    const status = rpcStatusName(system, code);
    span.setAttribute("rpc.status_code", status);
    if (isServerFault(code)) {
      span.setAttribute("error.type", status);
      if (error) span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error?.rawMessage });
    }
  }
  span.end();
}

/** Server side: one span per rpc, named by the fully-qualified method, with the outcome logged. */
export function serverTracingInterceptor(logger: Logger): Interceptor {
  const names = new WeakMap<object, string>();
  return (next) => async (req) => {
    let rpc = names.get(req.method);
    if (!rpc) names.set(req.method, (rpc = `${req.service.typeName}/${req.method.name}`));
    const system = rpcSystemOf(req.header);
    const parent = extractTraceContext(req.header);
    const span = tracer().startSpan(
      rpc,
      { kind: SpanKind.SERVER, attributes: { "rpc.system.name": system, "rpc.method": rpc } },
      parent,
    );
    const started = performance.now();
    return context.with(trace.setSpan(parent, span), async () => {
      let res;
      try {
        res = await next(req);
      } catch (error) {
        const err = ConnectError.from(error);
        finish(span, system, err.code, err);
        const log = {
          rpc,
          code: Code[err.code],
          msg_detail: err.rawMessage,
          ms: Math.round(performance.now() - started),
        };
        // Only the unexpected deserves a stack: bad input and unavailable dependencies are answers.
        if (UNEXPECTED.has(err.code)) logger.error({ ...log, err: err.cause ?? err }, "rpc failed");
        else if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded)
          logger.warn(log, "rpc unavailable");
        else logger.info(log, "rpc rejected");
        throw error;
      }
      logger.debug({ rpc, ms: Math.round(performance.now() - started) }, "rpc ok");
      if (!res.stream) {
        finish(span, system, RPC_OK);
        return res;
      }
      return { ...res, message: spanned(res.message, span, system) } as StreamResponse;
    });
  };
}

/** A streamed reply's span ends when its last message went, it failed, or the caller went away. */
async function* spanned<T>(messages: AsyncIterable<T>, span: Span, system: RpcSystem): AsyncIterable<T> {
  let code: number = Code.Canceled;
  let failure: ConnectError | undefined;
  try {
    yield* messages;
    code = RPC_OK;
  } catch (error) {
    failure = ConnectError.from(error);
    code = rpcCodeOf(failure);
    throw error;
  } finally {
    finish(span, system, code, failure);
  }
}

/** Client side: carries the active trace context to the server. */
export function clientTracingInterceptor(): Interceptor {
  return (next) => async (req) => {
    injectTraceContext(req.header);
    return next(req);
  };
}
