// Connect interceptors: a server span per rpc (continuing the caller's trace), and trace-context
// propagation on outgoing calls, so one trace spans satellite → gateway → service → Harbor.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Logger } from "pino";
import { extractTraceContext, injectTraceContext } from "./tracing.js";

const tracer = () => trace.getTracer("connect");

const UNEXPECTED = new Set([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unimplemented]);

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
        const log = { rpc: `${service}/${method}`, code: Code[err.code], msg_detail: err.rawMessage, ms: Math.round(performance.now() - started) };
        // Only the unexpected deserves a stack: bad input and unavailable dependencies are answers.
        if (UNEXPECTED.has(err.code)) logger.error({ ...log, err: err.cause ?? err }, "rpc failed");
        else if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) logger.warn(log, "rpc unavailable");
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
