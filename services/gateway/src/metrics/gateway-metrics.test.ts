// Ground Control in-process with metrics on: every serving path (the lean unary path over HTTP/1.1
// and HTTP/2, Connect's handlers for gRPC-Web) records rpc.server.call.duration through the one
// interceptor, /metrics on the gateway port serves it with the database, fleet and HTTP figures,
// and --metrics-addr moves /metrics to a listener of its own.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratedTemplate } from "@harbor-satellite/db";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { createLogger, startMetrics, type Metrics } from "@harbor-satellite/telemetry";
import { freePort } from "@harbor-satellite/testkit";
import { startGroundControl, type GroundControl } from "../app.js";
import { parseConfig } from "../config.js";
import { TEST_SECRET_HASH } from "../test-support.js";

const PASSWORD = "metrics-test-admin-password";

async function start(
  metrics: Metrics,
  argv: string[] = [],
): Promise<{ gc: GroundControl; url: string; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-gc-metrics-"));
  const config = parseConfig(["--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, ...argv], {
    ADMIN_PASSWORD: PASSWORD,
  });
  if (config === "help") throw new Error("unreachable");
  const gc = await startGroundControl(
    { ...config, secretHash: TEST_SECRET_HASH },
    createLogger({ name: "gc-metrics-test", level: "silent" }),
    { metrics, databaseTemplate: await migratedTemplate() },
  );
  return {
    gc,
    url: `http://127.0.0.1:${gc.port}`,
    async close() {
      await gc.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value of the first sample whose name and labels match, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

describe("Ground Control metrics", () => {
  let metrics: Metrics;
  let server: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    metrics = startMetrics("ground-control-test", { prometheus: true, env: {} });
    server = await start(metrics);
  });
  afterAll(async () => {
    await server?.close();
    await metrics?.shutdown();
  });

  it("records every rpc, whichever protocol and serving path, and serves it at /metrics", async () => {
    const { url } = server;
    const transports = [
      createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
      createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true }),
      createGrpcTransport({ baseUrl: url }),
      createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
    ];
    for (const transport of transports)
      await createClient(IdentityService, transport).login({ username: "admin", password: PASSWORD });
    const refused = await createClient(IdentityService, transports[0])
      .issueZtrToken({ satellite: "x" })
      .catch((e: unknown) => ConnectError.from(e));
    expect(refused).toMatchObject({ code: Code.Unauthenticated });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const login = "harbor.satellite.identity.v1.IdentityService/Login";
    expect(
      sample(text, "rpc_server_call_duration_seconds_count", {
        rpc_system_name: "connectrpc",
        rpc_method: login,
        rpc_status_code: "ok",
      }),
    ).toBe(2);
    expect(
      sample(text, "rpc_server_call_duration_seconds_count", {
        rpc_system_name: "grpc",
        rpc_method: login,
        rpc_status_code: "OK",
      }),
    ).toBe(2);
    expect(
      sample(text, "rpc_server_call_duration_seconds_count", {
        rpc_method: "harbor.satellite.identity.v1.IdentityService/IssueZtrToken",
        rpc_status_code: "unauthenticated",
      }),
    ).toBe(1);
    expect(
      sample(text, "rpc_server_call_duration_seconds_bucket", {
        rpc_method: login,
        rpc_system_name: "grpc",
        le: "+Inf",
      }),
    ).toBe(2);
    expect(
      sample(text, "http_server_request_duration_seconds_count", {
        http_route: "/healthz",
        http_response_status_code: "200",
      }),
    ).toBe(1);
    expect(
      sample(text, "db_client_operation_duration_seconds_count", {
        db_system_name: "postgresql",
        db_operation_name: "SELECT",
      }),
    ).toBeGreaterThan(0);
    expect(sample(text, "db_client_connection_max", { db_client_connection_pool_name: "ground-control" })).toBe(1);
    expect(sample(text, "ground_control_satellites_health", { satellite_health: "never_seen" })).toBe(0);
    expect(sample(text, "ground_control_outbox_depth", { outbox_kind: "sync-robot" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "ground_control_satellites_drift", { satellite_drift: "in_sync" })).toBe(0);
  });

  it("serves /metrics on a listener of its own with --metrics-addr, and not on the gateway port", async () => {
    const port = await freePort();
    const other = await start(metrics, ["--metrics-addr", `127.0.0.1:${port}`]);
    try {
      expect((await fetch(`${other.url}/metrics`)).status).toBe(404);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^# TYPE rpc_server_call_duration_seconds histogram$/m);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
