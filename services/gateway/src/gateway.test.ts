import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";

const run = promisify(execFile);

describe("gateway: one listener, every protocol", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  beforeAll(async () => {
    gc = await startTestGroundControl();
  });
  afterAll(async () => gc?.close());

  const transports = () => ({
    "connect json over HTTP/1.1": createConnectTransport({
      baseUrl: gc.url,
      httpVersion: "1.1",
      useBinaryFormat: false,
    }),
    "connect binary over h2c": createConnectTransport({ baseUrl: gc.url, httpVersion: "2", useBinaryFormat: true }),
    "gRPC over h2c": createGrpcTransport({ baseUrl: gc.url }),
    "gRPC-Web over HTTP/1.1": createGrpcWebTransport({ baseUrl: gc.url, httpVersion: "1.1" }),
  });

  it("logs in through each protocol on the same port", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const res = await createClient(IdentityService, transport).login({
        username: "admin",
        password: TEST_ADMIN_PASSWORD,
      });
      expect(res.sessionToken, name).toHaveLength(43);
    }
  });

  it("answers health probes", async () => {
    expect(await (await fetch(`${gc.url}/ping`)).text()).toBe("pong");
    const health = await fetch(`${gc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: "healthy",
      database: "ok",
      harbor: { status: "not_configured" },
    });
    expect((await fetch(`${gc.url}/nope`)).status).toBe(404);
  });

  it("serves gRPC reflection that buf curl can list", async () => {
    const { stdout } = await run("npx", [
      "--no-install",
      "buf",
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--list-methods",
      gc.url,
    ]);
    expect(stdout).toContain("harbor.satellite.identity.v1.IdentityService/Login");
    expect(stdout).toContain("grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
  });

  it("requires admin credentials on admin rpcs and says how to get them", async () => {
    const client = createClient(IdentityService, createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1" }));
    const err = await client.issueZtrToken({ satellite: "x" }).catch((e) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.Unauthenticated });
    expect((err as ConnectError).rawMessage).toMatch(/admin session/);
    const bad = await client
      .issueZtrToken({ satellite: "x" }, { headers: { authorization: "Bearer not-a-session" } })
      .catch((e) => ConnectError.from(e));
    expect(bad).toMatchObject({ code: Code.Unauthenticated });
    const { sessionToken } = await client.login({ username: "admin", password: TEST_ADMIN_PASSWORD });
    // Authenticated now: the call reaches the handler, which looks the satellite up.
    const reached = await client
      .issueZtrToken({ satellite: "x" }, { headers: { authorization: `Bearer ${sessionToken}` } })
      .catch((e) => ConnectError.from(e));
    expect(reached).toMatchObject({ code: Code.NotFound });
    const basic = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString("base64")}`;
    const viaBasic = await client
      .issueZtrToken({ satellite: "x" }, { headers: { authorization: basic } })
      .catch((e) => ConnectError.from(e));
    expect(viaBasic).toMatchObject({ code: Code.NotFound });
  });
});
