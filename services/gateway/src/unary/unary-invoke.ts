// Calls a unary implementation through the same interceptors Connect would run (tracing, error
// mapping, authorization), with a HandlerContext built directly. What Connect's handler adds per
// call and this does not: three AbortControllers (one aborted after every call, which builds a
// DOMException with a stack trace), copies of the headers, and a URL parse. The abort signal here
// exists only if someone asks for it.
import { create, isMessage, type DescMessage } from "@bufbuild/protobuf";
import type { ContextValues, HandlerContext, Interceptor, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import type { UnaryMethod } from "./unary-methods.js";

/** An abort signal made on first use; aborting before that is remembered. */
export class CallSignal {
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

export interface UnaryCall {
  target: UnaryMethod;
  protocolName: string;
  url: string;
  header: Headers;
  contextValues: ContextValues;
  timeoutMs: number | undefined;
  signal: CallSignal;
  responseHeader: Headers;
  responseTrailer: Headers;
  input: unknown;
}

type AnyUnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;

export async function invokeUnary(call: UnaryCall, interceptors: readonly Interceptor[]): Promise<unknown> {
  const { service, method, impl } = call.target;
  const deadline = call.timeoutMs === undefined ? undefined : Date.now() + call.timeoutMs;
  const timeoutMs = () => (deadline === undefined ? undefined : deadline - Date.now());
  const implementation: AnyUnaryFn = async (req) => {
    const context: HandlerContext = {
      method,
      service,
      requestMethod: "POST",
      protocolName: call.protocolName,
      url: call.url,
      timeoutMs,
      requestHeader: req.header,
      responseHeader: call.responseHeader,
      responseTrailer: call.responseTrailer,
      values: req.contextValues,
      get signal() {
        return req.signal;
      },
    };
    const output = await impl(req.message, context);
    const message = isMessage(output, method.output) ? output : create(method.output as DescMessage, output as never);
    return {
      stream: false,
      service,
      method,
      header: call.responseHeader,
      trailer: call.responseTrailer,
      message,
    } as UnaryResponse;
  };
  let next = implementation;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i](next as never) as AnyUnaryFn;
  const request = {
    stream: false,
    service,
    method,
    requestMethod: "POST",
    url: call.url,
    header: call.header,
    contextValues: call.contextValues,
    message: call.input,
    get signal() {
      return call.signal.signal;
    },
  } as UnaryRequest;
  const response = await next(request);
  replaceHeaders(response.header, call.responseHeader);
  replaceHeaders(response.trailer, call.responseTrailer);
  return response.message;
}

/** An interceptor may return new header objects; what it returned is what gets sent. */
function replaceHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  for (const key of [...to.keys()]) to.delete(key);
  from.forEach((value, key) => to.set(key, value));
}
