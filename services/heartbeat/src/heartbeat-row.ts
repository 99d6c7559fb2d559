// A heartbeat as the store writes it: the SyncRequest checked against the bounds below and
// normalized (interval in seconds, int64 fields as numbers). Everything a satellite sends ends up
// in one row, so every list and string is bounded here, before it reaches the batcher.
import type { SyncRequest } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { isStorableText, type CachedImageRow, type ImageErrorRow } from "@harbor-satellite/db";
import { InvalidArgumentError, renamedField, requireName } from "@harbor-satellite/rpc";
import { normalizeInterval } from "./interval.js";

/** Bounds on what one heartbeat may carry. */
export const LIMITS = {
  activityChars: 4096,
  intervalChars: 128,
  digestChars: 256,
  cachedImages: 10_000,
  errors: 1_000,
  referenceChars: 1024,
  errorMessageChars: 4096,
} as const;

export interface HeartbeatRow {
  name: string;
  reportedAt: Date | null;
  activity: string;
  /** Normalized: "@every HHhMMmSSs" or the cron expression; "" when not reported. */
  stateReportInterval: string;
  /** Whole seconds; null when not reported (the status rule then assumes the default). */
  intervalSeconds: number | null;
  stateDigest: string;
  configDigest: string;
  cpuPercent: number;
  memoryUsedBytes: number;
  storageUsedBytes: number;
  lastSyncDurationMs: number;
  imageCount: number;
  cachedImages: CachedImageRow[];
  errors: ImageErrorRow[];
}

// The OCI digest grammar: algorithm ":" encoded.
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Validates and normalizes one heartbeat; throws InvalidArgumentError naming the field. */
export function toHeartbeatRow(req: SyncRequest, now: Date): HeartbeatRow {
  const interval = normalizeInterval(
    boundedString("state_report_interval", req.stateReportInterval, LIMITS.intervalChars),
    now,
  );
  return {
    name: requireName("satellite", renamedField("satellite", req.satellite, "name", req.name)),
    reportedAt: reportedAt(req),
    activity: boundedString("activity", req.activity, LIMITS.activityChars),
    stateReportInterval: interval?.text ?? "",
    intervalSeconds: interval?.seconds ?? null,
    stateDigest: digest("latest_state_digest", req.latestStateDigest),
    configDigest: digest("latest_config_digest", req.latestConfigDigest),
    cpuPercent: cpuPercent(req.cpuPercent),
    memoryUsedBytes: count("memory_used_bytes", req.memoryUsedBytes),
    storageUsedBytes: count("storage_used_bytes", req.storageUsedBytes),
    lastSyncDurationMs: count("last_sync_duration_ms", req.lastSyncDurationMs),
    imageCount: count("image_count", req.imageCount),
    cachedImages: cachedImages(req),
    errors: imageErrors(req),
  };
}

function reportedAt(req: SyncRequest): Date | null {
  const ts = req.requestCreateTime;
  if (!ts) return null;
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  // PostgreSQL timestamps span 4713 BC to 294276 AD; anything outside years 1..9999 is garbage.
  if (!Number.isFinite(ms) || ts.nanos < 0 || ts.nanos > 999_999_999 || ms < -62135596800000 || ms > 253402300799999) {
    throw new InvalidArgumentError("request_create_time is not a valid timestamp");
  }
  return new Date(ms);
}

// One string PostgreSQL cannot store would fail the whole batch it is written in.
function boundedString(field: string, value: string, max: number): string {
  if (value.length > max)
    throw new InvalidArgumentError(`${field} is ${value.length} characters; at most ${max} allowed`);
  if (!isStorableText(value))
    throw new InvalidArgumentError(`${field} contains a NUL character or an unpaired surrogate`);
  return value;
}

function digest(field: string, value: string): string {
  if (value === "") return value;
  boundedString(field, value, LIMITS.digestChars);
  if (!DIGEST.test(value))
    throw new InvalidArgumentError(`${field} ${JSON.stringify(value)} is not a digest ("sha256:<hex>")`);
  return value;
}

function cpuPercent(value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 100)
    throw new InvalidArgumentError(`cpu_percent must be between 0 and 100, got ${value}`);
  return value;
}

function count(field: string, value: bigint | number): number {
  if (value < 0 || value > Number.MAX_SAFE_INTEGER)
    throw new InvalidArgumentError(`${field} must be between 0 and ${Number.MAX_SAFE_INTEGER}, got ${value}`);
  return Number(value);
}

function cachedImages(req: SyncRequest): CachedImageRow[] {
  const list = req.cachedImages;
  if (list.length > LIMITS.cachedImages)
    throw new InvalidArgumentError(`cached_images has ${list.length} entries; at most ${LIMITS.cachedImages} allowed`);
  const rows = new Array<CachedImageRow>(list.length);
  for (let i = 0; i < list.length; i++) {
    const image = list[i];
    rows[i] = {
      reference: boundedString(`cached_images[${i}].reference`, image.reference, LIMITS.referenceChars),
      sizeBytes: count(`cached_images[${i}].size_bytes`, image.sizeBytes),
    };
  }
  return rows;
}

function imageErrors(req: SyncRequest): ImageErrorRow[] {
  const list = req.errors;
  if (list.length > LIMITS.errors)
    throw new InvalidArgumentError(`errors has ${list.length} entries; at most ${LIMITS.errors} allowed`);
  const rows = new Array<ImageErrorRow>(list.length);
  for (let i = 0; i < list.length; i++) {
    const error = list[i];
    rows[i] = {
      reference: boundedString(`errors[${i}].reference`, error.reference, LIMITS.referenceChars),
      message: boundedString(`errors[${i}].message`, error.message, LIMITS.errorMessageChars),
    };
  }
  return rows;
}
