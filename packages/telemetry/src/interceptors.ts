// Connect interceptors: a server span per rpc (continuing the caller's trace), and trace-context
// propagation on outgoing calls, so one trace spans satellite → gateway → service → Harbor.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Logger } from "pino";
import { extractTraceContext, injectTraceContext } from "./tracing.js";

const tracer = () => trace.getTracer("connect");

/** Server side: one span per rpc, named `<service>/<method>`, with the outcome logged. */
export function serverTracingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const service = req.service.typeName;
    const method = req.method.name;
    const parent = extractTraceContext(req.header);
    const span = tracer().startSpan(`${service}/${method}`, { kind: SpanKind.SERVER, attributes: { "rpc.system": "connect", "rpc.service": service, "rpc.method": method } }, parent);
    const started = performance.now();
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const res = await next(req);
        logger.debug({ rpc: `${service}/${method}`, ms: Math.round(performance.now() - started) }, "rpc ok");
        return res;
      } catch (error) {
        const err = ConnectError.from(error);
        span.setAttribute("rpc.connect.code", err.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.rawMessage });
        const log = { rpc: `${service}/${method}`, code: err.code, msg_detail: err.rawMessage, ms: Math.round(performance.now() - started) };
        if (err.cause && !(err.cause instanceof ConnectError)) logger.error({ ...log, err: err.cause }, "rpc failed");
        else logger.info(log, "rpc rejected");
        throw error;
      } finally {
        span.end();
      }
    });
  };
}

/** Client side: carries the active trace context to the server. */
export function clientTracingInterceptor(): Interceptor {
  return (next) => async (req) => {
    injectTraceContext(req.header);
    return next(req);
  };
}
