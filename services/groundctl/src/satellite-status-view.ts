// How `groundctl satellites status NAME` shows one satellite: health and latest report, its drift
// verdict (from a Ground Control with the drift rpcs) with every drifted image and why, else the
// images its last pass failed on.
import { toJson } from "@bufbuild/protobuf";
import {
  SatelliteDriftSchema,
  SatelliteStatusSchema,
  type SatelliteDrift,
  type SatelliteStatus,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { fields, formatAge, formatTime, joinOrDash, table, type View } from "./output.js";
import { driftName, healthName, imageDriftName } from "./states.js";

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");
const short = (digest: string) => (digest ? digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1…") : "-");

function driftFields(drift: SatelliteDrift): [string, string][] {
  return [
    ["Drift", driftName(drift.state)],
    ["Reason", drift.reason || "-"],
    ["Groups", joinOrDash(drift.groups)],
    ["Desired images", String(drift.desiredImageCount)],
    ["Drifted images", String(drift.imageDriftCount)],
    ["Desired state", drift.desiredStateDigest || "-"],
    ["Applied state", drift.reportedStateDigest || "-"],
    [
      "Publish pending",
      drift.publishPending ? `yes${drift.publishError ? ` (${oneLine(drift.publishError)})` : ""}` : "no",
    ],
    ["Changed", formatTime(drift.changeTime)],
    ["Due", formatTime(drift.dueTime)],
  ];
}

/** `drift` undefined: this Ground Control reports none. */
export function satelliteStatusView(status: SatelliteStatus, drift: SatelliteDrift | undefined, now: Date): View {
  const latest = status.latest;
  const errors = latest?.errors ?? [];
  return {
    data: {
      status: toJson(SatelliteStatusSchema, status, { alwaysEmitImplicit: true }),
      ...(drift ? { drift: toJson(SatelliteDriftSchema, drift, { alwaysEmitImplicit: true }) } : {}),
    },
    table: () => {
      const head = fields([
        ["Name", status.name],
        ["Region", status.region],
        ["Health", healthName(status.health)],
        [
          "Last seen",
          status.lastSeenTime
            ? `${formatTime(status.lastSeenTime)} (${formatAge(status.lastSeenTime, now)} ago)`
            : "never",
        ],
        ["Heartbeat", `every ${status.heartbeatIntervalSeconds}s`],
        ["Images", latest ? String(latest.imageCount) : "-"],
        ["Last sync", latest ? `${latest.lastSyncDurationMs} ms` : "-"],
        ["Activity", latest?.activity ? oneLine(latest.activity) : "-"],
        ...(drift ? driftFields(drift) : []),
        ["Failing images", String(errors.length)],
      ]);
      if (drift && drift.images.length > 0) {
        const rows = drift.images.map((i) => [
          i.reference,
          imageDriftName(i.kind),
          short(i.desiredDigest),
          short(i.cachedDigest),
          joinOrDash(i.groups),
          i.message ? oneLine(i.message) : "-",
        ]);
        return `${head}\n${table(["image", "drift", "desired", "cached", "groups", "reason"], rows)}`;
      }
      if (!drift && errors.length > 0)
        return `${head}\n${table(
          ["image", "reason"],
          errors.map((e) => [e.reference, oneLine(e.message)]),
        )}`;
      return head;
    },
  };
}
