// invokeUnary on its own: what interceptors and the implementation are handed, and how each
// call's objects are shaped (bench/README.md, heartbeats: the shape decides whether a call's
// objects die young).
import { createContextValues, type HandlerContext, type Interceptor, type UnaryRequest } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { HeartbeatService, SyncResponseSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { create } from "@bufbuild/protobuf";
import { CallSignal, invokeUnary, type UnaryCall } from "./unary-invoke.js";

function callWith(impl: (request: unknown, context: HandlerContext) => unknown, signal = new CallSignal()): UnaryCall {
  return {
    target: { service: HeartbeatService, method: HeartbeatService.method.sync, impl },
    protocolName: "connect",
    url: "http://gc.example/harbor.satellite.heartbeat.v1.HeartbeatService/Sync",
    header: new Headers({ authorization: "Basic x" }),
    contextValues: createContextValues(),
    timeoutMs: 5_000,
    signal,
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    input: { satellite: "edge-1" },
  };
}

/** The getter `signal` is reached through: none of the object's own. */
function signalGetterOf(value: object): unknown {
  expect(Object.getOwnPropertyDescriptor(value, "signal")).toBeUndefined();
  return Object.getOwnPropertyDescriptor(Object.getPrototypeOf(value), "signal")?.get;
}

describe("invokeUnary", () => {
  it("hands interceptors a request, and the implementation a context, whose lazy signal is their class's, not one made per call", async () => {
    const requests: UnaryRequest[] = [];
    const contexts: HandlerContext[] = [];
    const recordRequest: Interceptor = (next) => (req) => {
      requests.push(req as UnaryRequest);
      return next(req);
    };
    for (let i = 0; i < 2; i++)
      await invokeUnary(
        callWith((_request, context) => {
          contexts.push(context);
          return create(SyncResponseSchema);
        }),
        [recordRequest],
      );
    // A getter written in an object literal costs V8 an old-generation accessor pair per object,
    // which kept each call's objects alive until a full collection (the heartbeat p99 tail).
    const [requestGetter, contextGetter] = [signalGetterOf(requests[0]), signalGetterOf(contexts[0])];
    expect(requestGetter).toBeTypeOf("function");
    expect(contextGetter).toBeTypeOf("function");
    expect(signalGetterOf(requests[1])).toBe(requestGetter);
    expect(signalGetterOf(contexts[1])).toBe(contextGetter);
  });

  it("gives the implementation the call's own values and a signal that aborts with the call", async () => {
    const signal = new CallSignal();
    let seen: HandlerContext | undefined;
    const output = await invokeUnary(
      callWith((request, context) => {
        seen = context;
        expect(request).toEqual({ satellite: "edge-1" });
        expect(context.signal.aborted).toBe(false);
        signal.abort(new Error("client went away"));
        return {};
      }, signal),
      [],
    );
    expect(output).toEqual(create(SyncResponseSchema));
    expect(seen?.signal.aborted).toBe(true);
    expect(seen?.requestHeader.get("authorization")).toBe("Basic x");
    expect(seen?.protocolName).toBe("connect");
    expect(seen?.method).toBe(HeartbeatService.method.sync);
    expect(seen?.timeoutMs()).toBeGreaterThan(4_000);
  });

  it("sends the headers an interceptor returns, even as new objects", async () => {
    const call = callWith(() => ({}));
    const replacing: Interceptor = (next) => async (req) => {
      const res = await next(req);
      return { ...res, header: new Headers({ "x-from": "interceptor" }) };
    };
    await invokeUnary(call, [replacing]);
    expect([...call.responseHeader]).toEqual([["x-from", "interceptor"]]);
  });
});
