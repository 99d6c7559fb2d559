// Store rows → proto messages.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  CachedImageSchema,
  ImageErrorSchema,
  SatelliteStatusSchema,
  SyncRequestSchema,
  type SatelliteStatus,
  type SyncRequest,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { effectiveIntervalSeconds, healthOf } from "./health.js";
import type { LatestHeartbeat, StatusRow } from "./store.js";

export function toSatelliteStatus(row: StatusRow, now: Date): SatelliteStatus {
  return create(SatelliteStatusSchema, {
    name: row.name,
    region: row.region,
    health: healthOf(row.lastSeen, row.intervalSeconds, now),
    lastSeenTime: row.lastSeen ? timestampFromDate(row.lastSeen) : undefined,
    heartbeatIntervalSeconds: BigInt(effectiveIntervalSeconds(row.intervalSeconds)),
    latest: row.latest ? toReport(row.name, row.latest) : undefined,
  });
}

function toReport(name: string, h: LatestHeartbeat): SyncRequest {
  return create(SyncRequestSchema, {
    satellite: name,
    // Until v0.3, for readers of the report that know only the deprecated name.
    name,
    activity: h.activity,
    stateReportInterval: h.stateReportInterval,
    latestStateDigest: h.stateDigest,
    latestConfigDigest: h.configDigest,
    memoryUsedBytes: BigInt(h.memoryUsedBytes),
    storageUsedBytes: BigInt(h.storageUsedBytes),
    cpuPercent: h.cpuPercent,
    requestCreateTime: h.reportedAt ? timestampFromDate(h.reportedAt) : undefined,
    lastSyncDurationMs: BigInt(h.lastSyncDurationMs),
    imageCount: h.imageCount,
    cachedImages: (h.cachedImages ?? []).map((i) =>
      create(CachedImageSchema, { reference: i.reference, sizeBytes: BigInt(i.sizeBytes) }),
    ),
    errors: h.errors.map((e) => create(ImageErrorSchema, { reference: e.reference, message: e.message })),
  });
}
