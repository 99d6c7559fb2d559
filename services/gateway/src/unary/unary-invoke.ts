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
    const output = await impl(req.message, new CallContext(call, req, timeoutMs));
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
  const response = await next(new CallRequest(call) as unknown as UnaryRequest);
  replaceHeaders(response.header, call.responseHeader);
  replaceHeaders(response.trailer, call.responseTrailer);
  return response.message;
}

// The request and the handler context are classes, not object literals, because both have a lazy
// `signal` getter: V8 allocates an object literal's getter pair in the old generation, one per
// object, and the pair holds the getter's closure, which holds the whole call. Every call's
// objects then survived young collections until the next full one (5.8 MB promoted per scavenge
// at 5,000 heartbeats/s, a Mark-Compact every ~3 s: the p99 tail, bench/README.md). A class's
// getter lives on its prototype, made once. So `signal` is not an own property: an interceptor
// that copies the request (`{ ...req }`) must carry `signal` over itself.

/** What interceptors and the implementation see as the request. */
class CallRequest {
  readonly stream = false;
  readonly requestMethod = "POST";
  readonly service: UnaryMethod["service"];
  readonly method: UnaryMethod["method"];
  readonly url: string;
  readonly header: Headers;
  readonly contextValues: ContextValues;
  readonly message: unknown;

  constructor(private readonly call: UnaryCall) {
    this.service = call.target.service;
    this.method = call.target.method;
    this.url = call.url;
    this.header = call.header;
    this.contextValues = call.contextValues;
    this.message = call.input;
  }

  get signal(): AbortSignal {
    return this.call.signal.signal;
  }
}

/** The implementation's HandlerContext; its signal is the request's (an interceptor may swap it). */
class CallContext implements HandlerContext {
  readonly requestMethod = "POST";
  readonly method: UnaryMethod["method"];
  readonly service: UnaryMethod["service"];
  readonly protocolName: string;
  readonly url: string;
  readonly requestHeader: Headers;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
  readonly values: ContextValues;

  constructor(
    call: UnaryCall,
    private readonly request: UnaryRequest,
    readonly timeoutMs: () => number | undefined,
  ) {
    this.method = call.target.method;
    this.service = call.target.service;
    this.protocolName = call.protocolName;
    this.url = call.url;
    this.requestHeader = request.header;
    this.responseHeader = call.responseHeader;
    this.responseTrailer = call.responseTrailer;
    this.values = request.contextValues;
  }

  get signal(): AbortSignal {
    return this.request.signal;
  }
}

/** An interceptor may return new header objects; what it returned is what gets sent. */
function replaceHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  for (const key of [...to.keys()]) to.delete(key);
  from.forEach((value, key) => to.set(key, value));
}
