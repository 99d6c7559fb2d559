// Only the client's undecodable bytes become InvalidArgument: a server error that merely reads
// like a decode failure (a sibling's reply that did not decode, say) stays Internal on every
// layer, unary and streaming, served by the gateway's real rpc wiring on a real listener.
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
} from "@harbor-satellite/gen/grpc/reflection/v1/reflection_pb";
import { HeartbeatService, SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { h1, h2 } from "./raw-http-support.js";
import { envelope, outcomeOf, WIRES, type Outcome } from "./rpc-wire-support.js";
import { listenRpc } from "./test-support.js";
import type { Listener } from "./transport/listener.js";

const SYNC = "/harbor.satellite.heartbeat.v1.HeartbeatService/Sync";
const REFLECTION = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
/** What Connect says of a reply it could not decode, here thrown by the server itself. */
const LOOKALIKE = "parse binary: premature EOF";

describe("Connect's handlers: decode failures of the request only", () => {
  let listener: Listener;
  let url: string;

  beforeAll(async () => {
    const routes = (router: ConnectRouter) => {
      router.service(HeartbeatService, {
        sync(req) {
          if (req.satellite === "sibling") throw new ConnectError(LOOKALIKE, Code.Internal);
          return { receiveTime: timestampFromMs(1_700_000_000_000) };
        },
      });
      router.service(ServerReflection, {
        // eslint-disable-next-line require-yield
        async *serverReflectionInfo(requests) {
          for await (const req of requests)
            if (req.host === "sibling") throw new ConnectError(LOOKALIKE, Code.Internal);
        },
      });
    };
    const refuse: Interceptor = (next) => async (req) => {
      if (req.header.get("x-refuse") === "yes") throw new ConnectError(LOOKALIKE, Code.Internal);
      return next(req);
    };
    ({ listener, url } = await listenRpc({ routes, interceptors: [errorMappingInterceptor(), refuse] }));
  });
  afterAll(async () => listener?.close());

  const everywhere = async (message: Uint8Array, extra: Record<string, string> = {}) => {
    const outcomes: Record<string, Outcome> = {};
    for (const wire of WIRES.filter((w) => w.binary)) {
      for (const [version, send] of Object.entries({ "HTTP/1.1": h1, h2c: h2 })) {
        if (wire.name.startsWith("grpc") && !wire.name.startsWith("grpc-web") && version !== "h2c") continue;
        outcomes[`${wire.name} ${version}`] = outcomeOf(
          await send(url, {
            method: "POST",
            path: SYNC,
            headers: { ...wire.headers, ...extra },
            body: wire.body(message),
          }),
        );
      }
    }
    expect(Object.keys(outcomes)).toHaveLength(10);
    return outcomes;
  };
  const allAlike = (outcomes: Record<string, Outcome>, expected: Outcome) => {
    for (const [label, got] of Object.entries(outcomes)) expect(got, label).toEqual(expected);
  };
  const sync = (name: string) => toBinary(SyncRequestSchema, create(SyncRequestSchema, { satellite: name }));

  it("rewrites the client's undecodable request on every layer", async () => {
    allAlike(await everywhere(Uint8Array.from([0xff, 0xff, 0xff])), { code: "InvalidArgument", message: LOOKALIKE });
    allAlike(await everywhere(sync("edge-1")), "ok");
  });

  it("leaves a unary implementation's Internal error alone, however it reads", async () => {
    allAlike(await everywhere(sync("sibling")), { code: "Internal", message: LOOKALIKE });
  });

  it("leaves an interceptor's Internal error alone, however it reads", async () => {
    allAlike(await everywhere(sync("edge-1"), { "x-refuse": "yes" }), { code: "Internal", message: LOOKALIKE });
  });

  it("tells a streaming implementation's Internal error from an undecodable streamed message", async () => {
    const stream = (body: Uint8Array) =>
      h2(url, {
        method: "POST",
        path: REFLECTION,
        headers: { "content-type": "application/grpc", te: "trailers" },
        body,
      });
    const sibling = toBinary(ServerReflectionRequestSchema, create(ServerReflectionRequestSchema, { host: "sibling" }));
    expect(outcomeOf(await stream(envelope(0, sibling)))).toEqual({ code: "Internal", message: LOOKALIKE });
    expect(outcomeOf(await stream(envelope(0, Uint8Array.from([0xff, 0xff, 0xff]))))).toEqual({
      code: "InvalidArgument",
      message: LOOKALIKE,
    });
  });
});
