import { Code, ConnectError, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverMetricsInterceptor } from "./rpc-server.js";
import { startTestMetrics, type TestMetrics } from "./testing.js";

const SERVICE = { typeName: "harbor.satellite.heartbeat.v1.HeartbeatService" };
const SYNC = { name: "Sync" };
const STATUS = { name: "GetSatelliteStatus" };

function request(method: { name: string }, contentType: string, stream = false): UnaryRequest {
  return {
    stream,
    service: SERVICE,
    method,
    header: new Headers({ "content-type": contentType }),
    requestMethod: "POST",
    url: "http://gc/x",
    contextValues: undefined,
    message: {},
  } as unknown as UnaryRequest;
}

describe("serverMetricsInterceptor", () => {
  let m: TestMetrics;
  beforeAll(() => {
    m = startTestMetrics();
  });
  afterAll(() => m.stop());

  it("records rpc.server.call.duration in seconds per method, system and status", async () => {
    const call = serverMetricsInterceptor()(async () => ({ stream: false, message: {} }) as never);
    await call(request(SYNC, "application/proto"));
    await call(request(SYNC, "application/proto"));
    await call(request(SYNC, "application/grpc+proto"));
    const connect = await m.histogram("rpc.server.call.duration", {
      "rpc.system.name": "connectrpc",
      "rpc.method": "harbor.satellite.heartbeat.v1.HeartbeatService/Sync",
      "rpc.status_code": "ok",
    });
    expect(connect.count).toBe(2);
    expect(connect.sum).toBeGreaterThanOrEqual(0);
    expect(
      await m.histogram("rpc.server.call.duration", { "rpc.system.name": "grpc", "rpc.status_code": "OK" }),
    ).toMatchObject({ count: 1 });
    const [point] = await m.points("rpc.server.call.duration", { "rpc.system.name": "grpc" });
    expect(point.attributes["error.type"]).toBeUndefined();
    const [metric] = (await m.collect()).filter((d) => d.descriptor.name === "rpc.server.call.duration");
    expect(metric.descriptor.unit).toBe("s");
  });

  it("records the caller's code, and error.type only for the codes that are the server's errors", async () => {
    const failing = (error: unknown) => serverMetricsInterceptor()(async () => Promise.reject(error));
    await expect(failing(new ConnectError("no", Code.NotFound))(request(STATUS, "application/json"))).rejects.toThrow();
    await expect(
      failing(new ConnectError("down", Code.Unavailable))(request(STATUS, "application/grpc-web+proto")),
    ).rejects.toThrow();
    await expect(failing(new Error("bug"))(request(STATUS, "application/json"))).rejects.toThrow("bug");
    const method = "harbor.satellite.heartbeat.v1.HeartbeatService/GetSatelliteStatus";
    const [notFound] = await m.points("rpc.server.call.duration", {
      "rpc.method": method,
      "rpc.status_code": "not_found",
    });
    expect(notFound.attributes).toEqual({
      "rpc.system.name": "connectrpc",
      "rpc.method": method,
      "rpc.status_code": "not_found",
    });
    const [unavailable] = await m.points("rpc.server.call.duration", {
      "rpc.method": method,
      "rpc.system.name": "grpc",
    });
    expect(unavailable.attributes).toMatchObject({ "rpc.status_code": "UNAVAILABLE", "error.type": "UNAVAILABLE" });
    const [bug] = await m.points("rpc.server.call.duration", { "rpc.method": method, "rpc.status_code": "unknown" });
    expect(bug.attributes["error.type"]).toBe("unknown");
  });

  it("times a streamed reply until its last message", async () => {
    const REFLECT = { name: "ServerReflectionInfo" };
    async function* messages() {
      yield {};
      throw new ConnectError("cut", Code.Internal);
    }
    const call = serverMetricsInterceptor()(async () => ({ stream: true, message: messages() }) as never);
    const res = await call(request(REFLECT, "application/grpc", true) as unknown as StreamRequest);
    expect(
      await m.points("rpc.server.call.duration", { "rpc.method": `${SERVICE.typeName}/ServerReflectionInfo` }),
    ).toEqual([]);
    const received: unknown[] = [];
    await expect(
      (async () => {
        for await (const message of res.message as AsyncIterable<unknown>) received.push(message);
      })(),
    ).rejects.toThrow("cut");
    expect(received).toHaveLength(1);
    expect(
      await m.histogram("rpc.server.call.duration", {
        "rpc.method": `${SERVICE.typeName}/ServerReflectionInfo`,
        "rpc.status_code": "INTERNAL",
      }),
    ).toMatchObject({ count: 1 });
  });

  it("keeps one series per method and outcome, across interceptors and calls", async () => {
    for (let i = 0; i < 3; i++)
      await serverMetricsInterceptor()(async () => ({ stream: false, message: {} }) as never)(
        request({ name: "Reused" }, "application/proto"),
      );
    const points = await m.points("rpc.server.call.duration", { "rpc.method": `${SERVICE.typeName}/Reused` });
    expect(points).toHaveLength(1);
  });
});
