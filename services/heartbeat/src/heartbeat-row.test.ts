import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { SyncRequestSchema, type SyncRequest } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { InvalidArgumentError } from "@harbor-satellite/rpc";
import { LIMITS, toHeartbeatRow } from "./heartbeat-row.js";

const now = new Date("2026-01-01T00:00:00Z");
const DIGEST = `sha256:${"a".repeat(64)}`;

function request(fields: MessageInitShape<typeof SyncRequestSchema> = {}): SyncRequest {
  return create(SyncRequestSchema, { satellite: "edge-1", stateReportInterval: "@every 00h00m30s", ...fields });
}

function rejects(fields: Parameters<typeof request>[0], message: RegExp): void {
  let caught: unknown;
  try {
    toHeartbeatRow(request(fields), now);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as Error).message).toMatch(message);
}

describe("heartbeat rows", () => {
  it("carries every reported field, normalized", () => {
    const created = new Date("2025-12-31T23:59:58.123Z");
    const row = toHeartbeatRow(
      request({
        activity: "cri_fallback_configured: containerd(ok)",
        stateReportInterval: "@every 1m",
        latestStateDigest: DIGEST,
        latestConfigDigest: DIGEST,
        memoryUsedBytes: 1n << 40n,
        storageUsedBytes: 5n,
        cpuPercent: 12.5,
        requestCreateTime: timestampFromDate(created),
        lastSyncDurationMs: 1500n,
        imageCount: 2,
        cachedImages: [{ reference: `h/r:t@${DIGEST}`, sizeBytes: 10n }],
        errors: [{ reference: "r:t", message: "manifest unknown" }],
      }),
      now,
    );
    expect(row).toEqual({
      name: "edge-1",
      reportedAt: created,
      activity: "cri_fallback_configured: containerd(ok)",
      stateReportInterval: "@every 00h01m00s",
      intervalSeconds: 60,
      stateDigest: DIGEST,
      configDigest: DIGEST,
      cpuPercent: 12.5,
      memoryUsedBytes: 2 ** 40,
      storageUsedBytes: 5,
      lastSyncDurationMs: 1500,
      imageCount: 2,
      cachedImages: [{ reference: `h/r:t@${DIGEST}`, sizeBytes: 10 }],
      errors: [{ reference: "r:t", message: "manifest unknown" }],
    });
  });

  it("leaves the interval unknown and the report time unset when not sent", () => {
    const row = toHeartbeatRow(request({ stateReportInterval: "" }), now);
    expect(row.intervalSeconds).toBeNull();
    expect(row.stateReportInterval).toBe("");
    expect(row.reportedAt).toBeNull();
  });

  it("takes the satellite by its deprecated name until v0.3, alone or agreeing, and refuses the two disagreeing", () => {
    expect(toHeartbeatRow(request({ satellite: "", name: "edge-2" }), now).name).toBe("edge-2");
    expect(toHeartbeatRow(request({ satellite: "edge-2", name: "edge-2" }), now).name).toBe("edge-2");
    rejects({ satellite: "edge-1", name: "edge-2" }, /^satellite "edge-1" and name "edge-2" disagree/);
  });

  it("rejects invalid names, digests and numbers with the field's name", () => {
    rejects({ satellite: "" }, /satellite is required/);
    rejects({ satellite: "Edge_1" }, /satellite "Edge_1" is invalid/);
    rejects({ latestStateDigest: "sha256" }, /latest_state_digest "sha256" is not a digest/);
    rejects({ latestConfigDigest: "not a digest" }, /latest_config_digest/);
    rejects({ cpuPercent: -1 }, /cpu_percent must be between 0 and 100/);
    rejects({ cpuPercent: Number.NaN }, /cpu_percent/);
    rejects({ cpuPercent: 100.5 }, /cpu_percent/);
    rejects({ memoryUsedBytes: -1n }, /memory_used_bytes must be between 0/);
    rejects({ storageUsedBytes: 1n << 60n }, /storage_used_bytes must be between 0/);
    rejects({ imageCount: -3 }, /image_count/);
    rejects({ stateReportInterval: "@every soon" }, /state_report_interval "@every soon" is invalid/);
    rejects({ requestCreateTime: { seconds: 1n << 50n, nanos: 0 } }, /request_create_time is not a valid timestamp/);
  });

  it("bounds every list and string", () => {
    rejects(
      { activity: "x".repeat(LIMITS.activityChars + 1) },
      new RegExp(`activity is ${LIMITS.activityChars + 1} characters; at most ${LIMITS.activityChars}`),
    );
    rejects({ stateReportInterval: " ".repeat(LIMITS.intervalChars + 1) }, /state_report_interval is \d+ characters/);
    const image = { reference: "r:t", sizeBytes: 1n };
    rejects(
      { cachedImages: Array.from({ length: LIMITS.cachedImages + 1 }, () => image) },
      /cached_images has 10001 entries; at most 10000 allowed/,
    );
    rejects(
      { cachedImages: [image, { reference: "r".repeat(LIMITS.referenceChars + 1), sizeBytes: 1n }] },
      /cached_images\[1\]\.reference is/,
    );
    rejects({ cachedImages: [{ reference: "r", sizeBytes: -1n }] }, /cached_images\[0\]\.size_bytes must be between/);
    rejects(
      { errors: Array.from({ length: LIMITS.errors + 1 }, () => ({ reference: "r", message: "m" })) },
      /errors has 1001 entries/,
    );
    rejects(
      { errors: [{ reference: "r", message: "m".repeat(LIMITS.errorMessageChars + 1) }] },
      /errors\[0\]\.message is/,
    );
  });

  it("rejects strings PostgreSQL cannot store, so one satellite cannot fail a whole batch", () => {
    rejects({ activity: "a\0b" }, /activity contains a NUL character/);
    rejects(
      { errors: [{ reference: "r", message: "\ud800x" }] },
      /errors\[0\]\.message contains .* unpaired surrogate/,
    );
    expect(toHeartbeatRow(request({ activity: "ok 😀" }), now).activity).toBe("ok 😀");
  });
});
