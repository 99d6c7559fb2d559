import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { serveMetrics } from "./http.js";
import { measureHttpRequest } from "./http-server.js";
import { instrumentScope } from "./instruments.js";
import { startMetrics } from "./provider.js";
import { prometheusName } from "./sdk.js";

const scope = instrumentScope("provider-test");
const bytes = scope.counter("test.copied.bytes", { unit: "By", description: "bytes copied" });
const wait = scope.histogram("test.wait.duration", {
  unit: "s",
  description: "waits",
  advice: { explicitBucketBoundaries: [0.1, 1] },
});
const items = scope.counter("test.items", { unit: "{item}", description: "items" });

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, path, headers, method, host: "127.0.0.1" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("prometheusName", () => {
  it("appends the unit once, and nothing for annotations", () => {
    expect(prometheusName("rpc.server.call.duration", "s")).toBe("rpc.server.call.duration_seconds");
    expect(prometheusName("satellite.replication.bytes", "By")).toBe("satellite.replication.bytes");
    expect(prometheusName("satellite.store.size", "By")).toBe("satellite.store.size_bytes");
    expect(prometheusName("ground_control.heartbeat.ingested", "{heartbeat}")).toBe(
      "ground_control.heartbeat.ingested",
    );
  });
});

describe("startMetrics and serveMetrics", () => {
  it("serves what instruments recorded in the Prometheus text format, with unit suffixes, gzipped on request", async () => {
    expect(startMetrics("disabled-test", { prometheus: false, env: {} }).serving).toBe(false);
    const metrics = startMetrics("provider-test", { prometheus: true, env: {} });
    await metrics.ready;
    let server: Server | undefined;
    try {
      bytes.add(1024);
      wait.record(0.5, { queue: "a" });
      items.add(3);
      server = createServer((req, res) => {
        const measured = measureHttpRequest(req.method, res);
        measured.route = "/metrics";
        serveMetrics(metrics, req, res);
      });
      await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
      const port = (server.address() as AddressInfo).port;
      const plain = await get(port, "/metrics");
      expect(plain.status).toBe(200);
      expect(plain.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = plain.body.toString();
      expect(text).toMatch(/^# TYPE test_copied_bytes_total counter$/m);
      expect(text).toMatch(/^test_copied_bytes_total\{otel_scope_name="provider-test"\} 1024$/m);
      expect(text).toMatch(
        /^test_wait_duration_seconds_bucket\{queue="a",otel_scope_name="provider-test",le="1"\} 1$/m,
      );
      expect(text).toMatch(/^test_items_total\{otel_scope_name="provider-test"\} 3$/m);
      expect(text).toMatch(/^target_info\{service_name="provider-test"/m);
      expect(text).not.toMatch(/^# UNIT/m);
      // The first scrape's own request was measured once it closed.
      const second = await get(port, "/metrics", { "accept-encoding": "gzip" });
      expect(second.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(second.body).toString()).toMatch(
        /^http_server_request_duration_seconds_count\{http_request_method="GET",http_response_status_code="200",url_scheme="http",http_route="\/metrics",otel_scope_name="@harbor-satellite\/telemetry"\} [1-9]/m,
      );
      expect((await get(port, "/metrics", {}, "HEAD")).body.length).toBe(0);
      expect((await get(port, "/metrics", {}, "POST")).status).toBe(405);
    } finally {
      await new Promise((r) => server?.close(r));
      await metrics.shutdown();
    }
  });
});
