// The satellite's metrics where they are recorded: a replication pass (bytes, blobs, duration,
// failures by reason, reachability), the store's gauges and garbage collection, heartbeats.
import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { RegistryError, RegistryNetworkError } from "@harbor-satellite/oci";
import { startFakeRegistry } from "@harbor-satellite/oci/testing";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMetricsFlags } from "../flags/metrics-flags.js";
import { createReplicationEngine } from "../replication/replication-engine.js";
import { createFakeContentStore } from "../replication/testing/fake-content-store.js";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { recordHeartbeat } from "./heartbeat-metrics.js";
import { failureType, noteStateReadFailures, noteSuccessfulPass, observeLastSuccess } from "./replication-metrics.js";
import { observeStore, recordGarbageCollection } from "./store-metrics.js";

describe("satellite metrics", () => {
  let m: TestMetrics;
  beforeAll(() => {
    m = startTestMetrics();
  });
  afterAll(() => m.stop());

  it("records a replication pass: bytes, blobs copied and skipped, its duration, failures by reason, the upstream answering", async () => {
    const registry = await startFakeRegistry({ mode: "none" });
    const store = await createFakeContentStore();
    const engine = createReplicationEngine({ store, logger: pino({ level: "silent" }), workerThreads: 1 });
    try {
      seedImage(registry, "lib/app", "v1", [randomBytes(10_000), randomBytes(100)]);
      const upstream = { url: registry.url, retry: { attempts: 1 } };
      const first = await engine.replicate({
        upstream,
        images: [
          { repository: "lib/app", tag: "v1" },
          { repository: "lib/missing", tag: "1" },
        ],
      });
      expect(first.failed).toHaveLength(1);
      expect(await m.sum("satellite.replication.bytes")).toBe(first.bytes);
      expect(await m.sum("satellite.replication.blobs", { outcome: "copied" })).toBe(3);
      expect(await m.sum("satellite.replication.image.failures", { "error.type": "MANIFEST_UNKNOWN" })).toBe(1);
      expect(await m.histogram("satellite.replication.pass.duration", { outcome: "partial" })).toMatchObject({
        count: 1,
      });
      expect(await m.sum("satellite.upstream.reachable", { "server.address": new URL(registry.url).host })).toBe(1);

      // A new tag of the same content: every blob is already held.
      seedImage(registry, "lib/app2", "v1", [randomBytes(10)]);
      await engine.replicate({ upstream, images: [{ repository: "lib/app2", tag: "v1" }] });
      expect(await m.histogram("satellite.replication.pass.duration", { outcome: "ok" })).toMatchObject({ count: 1 });

      // The store's figures, and garbage collection.
      const stop = observeStore(store);
      try {
        const usage = await store.usage();
        expect(await m.sum("satellite.store.size")).toBe(usage.bytes);
        expect(await m.sum("satellite.store.blobs")).toBe(usage.blobs);
        expect(await m.sum("satellite.store.repositories")).toBe(2);
      } finally {
        stop();
      }
    } finally {
      await engine.close();
      await registry.close();
      await store.remove();
    }
    recordGarbageCollection({ removedBlobs: 2, freedBytes: 2048 });
    expect(await m.sum("satellite.store.gc.reclaimed")).toBe(2048);
    expect(await m.sum("satellite.store.gc.removed")).toBe(2);
  });

  it("marks a registry unreachable when reading state from it got no answer", async () => {
    noteStateReadFailures([
      new Error("wrapped", {
        cause: new RegistryNetworkError(
          "http://harbor.test:8443/v2/x/manifests/y",
          "GET",
          Object.assign(new Error("refused"), { code: "ECONNREFUSED" }),
        ),
      }),
    ]);
    expect(await m.sum("satellite.upstream.reachable", { "server.address": "harbor.test:8443" })).toBe(0);
  });

  it("names failures by bounded reasons, never by message", () => {
    expect(failureType(new RegistryError(404, "MANIFEST_UNKNOWN", "", "http://x/v2/a", "GET"))).toBe(
      "MANIFEST_UNKNOWN",
    );
    expect(failureType(new RegistryError(502, "", "bad gateway", "http://x/v2/a", "GET"))).toBe("http_502");
    expect(failureType(new RegistryError(500, "not a code; with spaces", "", "http://x/v2/a", "GET"))).toBe("http_500");
    expect(
      failureType(
        new RegistryNetworkError("http://x/v2/a", "GET", Object.assign(new Error("x"), { code: "ETIMEDOUT" })),
      ),
    ).toBe("ETIMEDOUT");
    expect(failureType(new Error("who knows"))).toBe("_OTHER");
  });

  it("reports the time since the last successful pass, and heartbeats by outcome", async () => {
    const stop = observeLastSuccess();
    try {
      noteSuccessfulPass();
      const age = await m.sum("satellite.replication.last_success.age");
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(60);
    } finally {
      stop();
    }
    recordHeartbeat();
    recordHeartbeat(new ConnectError("down", Code.Unavailable));
    recordHeartbeat(
      Object.assign(new Error("fetch failed"), { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }),
    );
    expect(await m.sum("satellite.heartbeats", { outcome: "ok" })).toBe(1);
    expect(await m.sum("satellite.heartbeats", { outcome: "failed", "error.type": "unavailable" })).toBe(1);
    expect(await m.sum("satellite.heartbeats", { outcome: "failed", "error.type": "ECONNREFUSED" })).toBe(1);
  });
});

describe("metrics flags", () => {
  it("serves on the registry's port by default for the agent, only when asked for serve, elsewhere with --metrics-addr", () => {
    expect(parseMetricsFlags({}, {}, true)).toEqual({ enabled: true });
    expect(parseMetricsFlags({}, {}, false)).toEqual({ enabled: false });
    expect(parseMetricsFlags({ metrics: true }, {}, false)).toEqual({ enabled: true });
    expect(parseMetricsFlags({ "metrics-addr": "127.0.0.1:9464" }, {}, false)).toEqual({
      enabled: true,
      addr: { host: "127.0.0.1", port: 9464 },
    });
    expect(parseMetricsFlags({}, { METRICS_ADDR: ":9090" }, true)).toEqual({
      enabled: true,
      addr: { host: "0.0.0.0", port: 9090 },
    });
    expect(parseMetricsFlags({ "no-metrics": true }, { METRICS_ADDR: ":9090" }, true)).toEqual({ enabled: false });
    expect(parseMetricsFlags({}, { METRICS_ENABLED: "false" }, true)).toEqual({ enabled: false });
    expect(parseMetricsFlags({}, { METRICS_ENABLED: "true" }, false)).toEqual({ enabled: true });
    expect(() => parseMetricsFlags({ "metrics-addr": "9090" }, {}, true)).toThrow(/--metrics-addr must be HOST:PORT/);
    expect(() => parseMetricsFlags({ "no-metrics": true, "metrics-addr": ":1" }, {}, true)).toThrow(/contradicts/);
    expect(() => parseMetricsFlags({}, { METRICS_ENABLED: "maybe" }, true)).toThrow(/METRICS_ENABLED/);
  });
});
