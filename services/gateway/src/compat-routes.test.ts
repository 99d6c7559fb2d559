import { toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { stateConfigJson, syncRequestFromJson } from "./compat-routes.js";
import { createRateLimiter } from "./rate-limiter.js";
import { h1, h2 } from "./raw-http-support.js";
import { startTestGroundControl } from "./test-support.js";

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
    expect(req).toMatchObject({
      satellite: "edge-1",
      name: "edge-1",
      stateReportInterval: "@every 00h00m30s",
      memoryUsedBytes: 1024n,
      cpuPercent: 12.5,
      lastSyncDurationMs: 850n,
      imageCount: 1,
    });
    expect(req.cachedImages[0].sizeBytes).toBe(3_500_000n);
    expect(req.requestCreateTime?.seconds).toBe(BigInt(Date.parse("2026-11-26T04:00:00Z") / 1000));
  });

  it("tolerates missing and mistyped fields instead of failing the heartbeat", () => {
    const req = syncRequestFromJson(
      { name: "edge-2", cpu_percent: "high", request_created_time: "yesterday", cached_images: "none" },
      { kind: "admin", username: "admin" },
    );
    expect(req).toMatchObject({ satellite: "edge-2", name: "edge-2", cpuPercent: 0, cachedImages: [] });
    expect(req.requestCreateTime).toBeUndefined();
  });

  it("clamps numbers the fields cannot hold instead of failing the heartbeat later, when it is encoded", () => {
    const req = syncRequestFromJson(
      {
        memory_used_bytes: 1e30,
        storage_used_bytes: -1e30,
        image_count: 1e12,
        last_sync_duration_ms: 2 ** 70,
        cached_images: [{ size_bytes: 1e300 }, null, 7],
      },
      { kind: "satellite", name: "edge-1", via: "robot" },
    );
    expect(req).toMatchObject({
      memoryUsedBytes: BigInt(Number.MAX_SAFE_INTEGER),
      storageUsedBytes: -BigInt(Number.MAX_SAFE_INTEGER),
      imageCount: 2 ** 31 - 1,
    });
    expect(req.cachedImages.map((i) => i.sizeBytes)).toEqual([BigInt(Number.MAX_SAFE_INTEGER), 0n, 0n]);
    expect(toBinary(SyncRequestSchema, req).length).toBeGreaterThan(0);
  });

  it("answers ZTR with the original StateConfig shape", () => {
    const json = stateConfigJson({
      stateUrl: "http://h/satellite/satellite-state/s/state:latest",
      registryUrl: "http://h",
      satellite: "s",
      auth: { url: "http://h", username: "robot$s", password: "pw" },
    } as never);
    expect(json).toEqual({
      auth: { url: "http://h", username: "robot$s", password: "pw" },
      state: "http://h/satellite/satellite-state/s/state:latest",
    });
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

describe("original satellite routes: bad input over the wire", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  beforeAll(async () => {
    gc = await startTestGroundControl();
  });
  afterAll(async () => gc?.close());

  const stillServing = async () => {
    expect((await h1(gc.url, { path: "/healthz" })).status).toBe(200);
    expect((await h2(gc.url, { path: "/healthz" })).status).toBe(200);
  };

  it("answers a ZTR token with malformed percent-encoding with 400 and the original's error body, over HTTP/1.1 and h2c", async () => {
    for (const send of [h1, h2]) {
      for (const path of ["/satellites/ztr/%ZZ", "/satellites/ztr/%", "/satellites/ztr/abc%E0%A4%A"]) {
        const res = await send(gc.url, { path });
        expect(res.status, `${send.name} ${path}`).toBe(400);
        expect(JSON.parse(res.body.toString()), `${send.name} ${path}`).toEqual({
          message: "the token in the path is not valid percent-encoding",
          code: 400,
        });
      }
    }
    await stillServing();
  });

  it("still decodes well-formed percent-encoding and asks the identity service", async () => {
    const res = await h1(gc.url, { path: "/satellites/ztr/no%20such%20token" });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 401, message: expect.stringMatching(/token/i) });
  });

  it("answers a heartbeat over h2c as over HTTP/1.1 (HTTP/2 pseudo-headers are no credentials)", async () => {
    for (const send of [h1, h2]) {
      const res = await send(gc.url, {
        method: "POST",
        path: "/satellites/sync",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status, send.name).toBe(401);
      expect(JSON.parse(res.body.toString()), send.name).toEqual({
        message: "heartbeats need the satellite's SVID or robot credentials",
        code: 401,
      });
    }
    const badCredentials = await h2(gc.url, {
      method: "POST",
      path: "/satellites/sync",
      headers: { authorization: "Basic !!!" },
      body: "{}",
    });
    expect(badCredentials.status).toBe(401);
    await stillServing();
  });
});
