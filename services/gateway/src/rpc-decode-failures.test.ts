// Requests whose bytes do not decode are the client's error on every serving layer (hardening
// issue 8): InvalidArgument with Connect's own message, word for word alike whether the lean unary
// path or Connect's handlers serve the call, for Connect binary and JSON, gRPC and gRPC-Web, over
// HTTP/1.1 and h2c, compressed or not. They used to be Internal (gRPC status 13, HTTP 500).
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { IdentityService, LoginRequestSchema } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { ServerReflectionRequestSchema } from "@harbor-satellite/gen/grpc/reflection/v1/reflection_pb";
import { MAX_JSON_DEPTH } from "@harbor-satellite/rpc";
import { h1, h2 } from "./raw-http-support.js";
import { envelope, outcomeOf, WIRES, type Outcome } from "./rpc-wire-support.js";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";

const LOGIN = "/harbor.satellite.identity.v1.IdentityService/Login";
const REFLECTION = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

describe("rpc layers: undecodable requests are InvalidArgument", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  beforeAll(async () => {
    gc = await startTestGroundControl();
  });
  afterAll(async () => gc?.close());

  const transports = { "HTTP/1.1": h1, h2c: h2 };
  /** Every wire × HTTP version (gRPC needs HTTP/2), sending `message`. */
  const everywhere = async (binary: boolean, message: Uint8Array | string, path = LOGIN) => {
    const outcomes: Record<string, Outcome> = {};
    for (const wire of WIRES.filter((w) => w.binary === binary)) {
      for (const [version, send] of Object.entries(transports)) {
        if (wire.name.startsWith("grpc ") || wire.name === "grpc") if (version !== "h2c") continue;
        outcomes[`${wire.name} ${version}`] = outcomeOf(
          await send(gc.url, { method: "POST", path, headers: wire.headers, body: wire.body(message) }),
        );
      }
    }
    return outcomes;
  };
  const allAlike = (outcomes: Record<string, Outcome>, expected: Outcome) => {
    expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(4);
    for (const [label, got] of Object.entries(outcomes)) expect(got, label).toEqual(expected);
  };

  it("answers a Connect binary body with invalid UTF-8 in a string field with InvalidArgument on every binary protocol", async () => {
    // LoginRequest.username (field 1) = the bytes C3 28, which are not UTF-8.
    const outcomes = await everywhere(true, Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]));
    allAlike(outcomes, {
      code: "InvalidArgument",
      message: "parse binary: The encoded data was not valid for encoding utf-8",
    });
  });

  it("answers garbage protobuf bytes with InvalidArgument, over gRPC as everywhere (it was grpc-status 13)", async () => {
    allAlike(await everywhere(true, Uint8Array.from([0xff, 0xff, 0xff])), {
      code: "InvalidArgument",
      message: "parse binary: premature EOF",
    });
    allAlike(await everywhere(true, Uint8Array.from([0x0a, 0x7f, 0x01])), {
      code: "InvalidArgument",
      message: "parse binary: premature EOF",
    });
  });

  it("answers JSON that is not a request, however deep, with InvalidArgument alike on both layers", async () => {
    for (const json of [
      '{"username":',
      '{"username":7}',
      `{"username":${"[".repeat(200_000)}${"]".repeat(200_000)}}`,
    ]) {
      const outcomes = await everywhere(false, json);
      const reference = outcomes["connect json h2c"];
      expect(reference, json.slice(0, 20)).toMatchObject({ code: "InvalidArgument" });
      for (const [label, got] of Object.entries(outcomes))
        expect(got, `${label} ${json.slice(0, 20)}`).toEqual(reference);
    }
  });

  it("answers a compressed body that does not decompress with InvalidArgument", async () => {
    const truncated = (body: Buffer) => body.subarray(0, body.length - 4);
    for (const wire of WIRES.filter((w) => w.name.endsWith("gzip"))) {
      const send = wire.name.startsWith("grpc gzip") ? h2 : h1;
      const body = wire.name.startsWith("connect")
        ? truncated(wire.body('{"username":"admin"}'))
        : envelope(1, truncated(wire.body("x").subarray(5)));
      const outcome = outcomeOf(await send(gc.url, { method: "POST", path: LOGIN, headers: wire.headers, body }));
      expect(outcome, wire.name).toEqual({ code: "InvalidArgument", message: "decompression failed" });
    }
  });

  it("answers a frame flagged compressed in a request that named no encoding with InvalidArgument, lean path and Connect's alike", async () => {
    const flagged = envelope(1, Uint8Array.from([0x0a, 0x01, 0x61]));
    const outcomes: Record<string, Outcome> = {
      "lean: grpc h2c": outcomeOf(
        await h2(gc.url, {
          method: "POST",
          path: LOGIN,
          headers: { "content-type": "application/grpc", te: "trailers" },
          body: flagged,
        }),
      ),
      "connect: grpc-web h2c": outcomeOf(
        await h2(gc.url, {
          method: "POST",
          path: LOGIN,
          headers: { "content-type": "application/grpc-web+proto" },
          body: flagged,
        }),
      ),
      "connect: grpc-web HTTP/1.1": outcomeOf(
        await h1(gc.url, {
          method: "POST",
          path: LOGIN,
          headers: { "content-type": "application/grpc-web+proto" },
          body: flagged,
        }),
      ),
      "connect: grpc+json h2c": outcomeOf(
        await h2(gc.url, {
          method: "POST",
          path: LOGIN,
          headers: { "content-type": "application/grpc+json", te: "trailers" },
          body: flagged,
        }),
      ),
      "connect: streaming grpc h2c": outcomeOf(
        await h2(gc.url, {
          method: "POST",
          path: REFLECTION,
          headers: { "content-type": "application/grpc", te: "trailers" },
          body: flagged,
        }),
      ),
    };
    allAlike(outcomes, {
      code: "InvalidArgument",
      message: "received compressed envelope, but do not know how to decompress",
    });
  });

  it("answers an undecodable message of a streaming call with InvalidArgument (gRPC, Connect streaming)", async () => {
    const grpc = outcomeOf(
      await h2(gc.url, {
        method: "POST",
        path: REFLECTION,
        headers: { "content-type": "application/grpc", te: "trailers" },
        body: envelope(0, Uint8Array.from([0xff, 0xff, 0xff])),
      }),
    );
    expect(grpc).toEqual({ code: "InvalidArgument", message: "parse binary: premature EOF" });
    const good = toBinary(
      ServerReflectionRequestSchema,
      create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } }),
    );
    const afterAGoodOne = await h2(gc.url, {
      method: "POST",
      path: REFLECTION,
      headers: { "content-type": "application/grpc", te: "trailers" },
      body: Buffer.concat([envelope(0, good), envelope(0, Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]))]),
    });
    expect(outcomeOf(afterAGoodOne)).toEqual({
      code: "InvalidArgument",
      message: "parse binary: The encoded data was not valid for encoding utf-8",
    });
    const connect = await h2(gc.url, {
      method: "POST",
      path: REFLECTION,
      headers: { "content-type": "application/connect+proto" },
      body: Buffer.concat([envelope(0, Uint8Array.from([0xff, 0xff, 0xff])), envelope(2, Buffer.from("{}"))]),
    });
    const end = connect.body.subarray(connect.body.lastIndexOf(0x02) + 5).toString();
    expect(JSON.parse(end.slice(end.indexOf("{")))).toMatchObject({
      error: { code: "invalid_argument", message: "parse binary: premature EOF" },
    });
  });

  it("answers an UpdateConfig merge patch nested 200,000 levels deep with InvalidArgument naming the limit, on every layer", async () => {
    const baseUrl = gc.url;
    const gzip = { sendCompression: compressionGzip, compressMinBytes: 0 };
    const layers: Record<string, Transport> = {
      "lean: connect binary h2": createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
      "lean: connect json h1": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
      "lean: grpc": createGrpcTransport({ baseUrl }),
      "connect: grpc-web h1": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
      "connect: gzip connect json h1": createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        ...gzip,
      }),
      "connect: gzip grpc": createGrpcTransport({ baseUrl, ...gzip }),
    };
    const { sessionToken } = await createClient(IdentityService, layers["lean: grpc"]).login({
      username: "admin",
      password: TEST_ADMIN_PASSWORD,
    });
    const patch = '{"a":'.repeat(200_000) + "1" + "}".repeat(200_000);
    for (const [label, transport] of Object.entries(layers)) {
      const error = await createClient(FleetService, transport)
        .updateConfig(
          { config: "default", change: { case: "mergePatchJson", value: patch } },
          { headers: { authorization: `Bearer ${sessionToken}` } },
        )
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect({ code: error?.code, message: error?.rawMessage }, label).toEqual({
        code: Code.InvalidArgument,
        message: `merge_patch_json nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the most accepted`,
      });
    }
  });

  it("still serves well-formed calls on every layer afterwards", async () => {
    const login = { username: "admin", password: TEST_ADMIN_PASSWORD };
    allAlike(await everywhere(true, toBinary(LoginRequestSchema, create(LoginRequestSchema, login))), "ok");
    allAlike(await everywhere(false, JSON.stringify(login)), "ok");
    expect((await h1(gc.url, { path: "/healthz" })).status).toBe(200);
  });
});
