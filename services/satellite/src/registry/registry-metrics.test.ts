// The registry's requests as http.server.request.duration with their route templates, and
// /metrics served on the registry's own port (anonymous, read-only like every read).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetrics, type Metrics } from "@harbor-satellite/telemetry/metrics";
import { openTempStore } from "../store/test-helpers.js";
import { startRegistryServer, type RegistryServer } from "./server.js";

describe("registry metrics", () => {
  let metrics: Metrics;
  let server: RegistryServer;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    metrics = startMetrics("registry-metrics-test", { prometheus: true, env: {} });
    await metrics.ready;
    const temp = await openTempStore();
    cleanup = temp.cleanup;
    server = await startRegistryServer({ store: temp.store, host: "127.0.0.1", port: 0, readOnly: true, metrics });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
    await metrics?.shutdown();
  });

  it("measures each request by route template and serves /metrics on the registry's port", async () => {
    expect((await fetch(`${server.url}/v2/`)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/library/secret-name/manifests/1.0`, { method: "HEAD" })).status).toBe(404);
    expect(
      (await fetch(`${server.url}/v2/library/secret-name/manifests/1.0`, { method: "PUT", body: "{}" })).status,
    ).toBe(405);
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /^http_server_request_duration_seconds_count\{http_request_method="GET",http_response_status_code="200",url_scheme="http",http_route="\/v2\/",otel_scope_name="@harbor-satellite\/telemetry"\} 1$/m,
    );
    expect(text).toMatch(
      /^http_server_request_duration_seconds_count\{http_request_method="HEAD",http_response_status_code="404",url_scheme="http",http_route="\/v2\/\{name\}\/manifests\/\{reference\}",/m,
    );
    expect(text).toMatch(
      /http_response_status_code="405",url_scheme="http",http_route="\/v2\/\{name\}\/manifests\/\{reference\}"/,
    );
    expect(text).not.toContain("secret-name");
  });
});
