import { describe, expect, it } from "vitest";
import { stateConfigJson, syncRequestFromJson } from "./compat-routes.js";
import { createRateLimiter } from "./rate-limiter.js";

describe("original satellite routes", () => {
  it("maps the original heartbeat JSON onto SyncRequest, naming the caller when the body does not", () => {
    const req = syncRequestFromJson(
      {
        activity: "cri_fallback_configured: containerd(ok)",
        state_report_interval: "@every 00h00m30s",
        latest_state_digest: "sha256:" + "a".repeat(64),
        memory_used_bytes: 1024,
        storage_used_bytes: 2048,
        cpu_percent: 12.5,
        request_created_time: "2026-11-26T04:00:00Z",
        last_sync_duration_ms: 850,
        image_count: 1,
        cached_images: [{ reference: "h/library/alpine:3@sha256:" + "b".repeat(64), size_bytes: 3_500_000 }],
      },
      { kind: "satellite", name: "edge-1", via: "robot" },
    );
    expect(req).toMatchObject({ name: "edge-1", stateReportInterval: "@every 00h00m30s", memoryUsedBytes: 1024n, cpuPercent: 12.5, lastSyncDurationMs: 850n, imageCount: 1 });
    expect(req.cachedImages[0].sizeBytes).toBe(3_500_000n);
    expect(req.requestCreateTime?.seconds).toBe(BigInt(Date.parse("2026-11-26T04:00:00Z") / 1000));
  });

  it("tolerates missing and mistyped fields instead of failing the heartbeat", () => {
    const req = syncRequestFromJson({ name: "edge-2", cpu_percent: "high", request_created_time: "yesterday", cached_images: "none" }, { kind: "admin", username: "admin" });
    expect(req).toMatchObject({ name: "edge-2", cpuPercent: 0, cachedImages: [] });
    expect(req.requestCreateTime).toBeUndefined();
  });

  it("answers ZTR with the original StateConfig shape", () => {
    const json = stateConfigJson({ stateUrl: "http://h/satellite/satellite-state/s/state:latest", registryUrl: "http://h", satellite: "s", auth: { url: "http://h", username: "robot$s", password: "pw" } } as never);
    expect(json).toEqual({ auth: { url: "http://h", username: "robot$s", password: "pw" }, state: "http://h/satellite/satellite-state/s/state:latest" });
  });

  it("limits enrolment attempts per client and refills over time", () => {
    let t = 0;
    const limiter = createRateLimiter({ perMinute: 10, now: () => t });
    const allowed = Array.from({ length: 12 }, () => limiter.take("10.0.0.1")).filter(Boolean).length;
    expect(allowed).toBe(10);
    expect(limiter.take("10.0.0.2")).toBe(true);
    t += 6_000; // one token per 6 s
    expect(limiter.take("10.0.0.1")).toBe(true);
    expect(limiter.take("10.0.0.1")).toBe(false);
  });
});
