// The drift verdict: a satellite's desired images against what its latest heartbeat reports.
// Pure (no I/O, the clock passed in), so the rpcs, a CLI and metrics all judge alike.
//
// Facts (the proto's DriftState says the same):
//   desired images  every tag of every artifact of its groups, pinned when the artifact has a digest
//   G               digest of the satellite state Ground Control serves it now ("" before the first);
//                   it pins the group states, so it changes whenever the desired images do
//   pending         Ground Control still has a publish of that satellite state, or of one of its
//                   groups' states, queued or retrying: a change not yet in G
//   R               latest_state_digest of its latest heartbeat ("" when it reports none, as the
//                   original Go satellite)
//   current         not pending, G != "" and R == G
//   judged          current, or R == "" and not pending (the images alone decide)
//   C (change time) when the oldest pending publish was requested; else when G was stored; else
//                   when the satellite was created
//   D (due time)    C + replication interval (config's state_replication_interval, 30 s when
//                   unset) + 2 × heartbeat interval + slack (120 s). Our satellite learns of a
//                   change from the answer to its next heartbeat (≤ 1 heartbeat interval) and
//                   starts a pass at once; the original at its next pass (≤ 1 replication
//                   interval); the pass takes its time (the slack) and the next heartbeat reports
//                   it (≤ 1 heartbeat interval). So a pass that began after the change has been
//                   reported by D.
//   image drift     drift-images.ts: MISSING, WRONG_DIGEST (pinned only), ERROR, CONFLICT, and
//                   errors of the last pass about something else
//
// Verdict, first match:
//   NEVER_SEEN   no heartbeat yet
//   STALE        health STALE (no heartbeat within 3 intervals): nothing can be told
//   FAILING      it reports error "robot-credentials": Harbor refuses its robot credentials
//                (token mode) and it needs re-enrolment (a new ZTR token)
//   IN_SYNC      judged and no image drift
//   FAILING      current and image drift: its pass of the current state is done and fell short
//   CONVERGING   now < D (not judged, or judged with R == "" and drift): a pass is still due
//   FAILING      otherwise: a pass was due by D and did not bring it in sync
import { DriftState, Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import {
  compareImages,
  describeImageDrift,
  shortDigest,
  type DesiredGroupInput,
  type ImageDriftEntry,
} from "./drift-images.js";
import { effectiveIntervalSeconds, healthOf, MISSED_INTERVALS } from "./health.js";

export interface DriftPolicy {
  /** Time allowed for the pass itself and for delivery, beyond the intervals (default 120 s). */
  slackMs: number;
  /** Replication interval assumed when the satellite's config sets none (default 30 s, the original's). */
  defaultReplicationIntervalSeconds: number;
}

/** The heartbeat error a satellite reports when Harbor refuses its robot credentials and it needs a new ZTR token. */
export const NEEDS_REENROLMENT_REFERENCE = "robot-credentials";

export const DEFAULT_DRIFT_POLICY: Readonly<DriftPolicy> = { slackMs: 120_000, defaultReplicationIntervalSeconds: 30 };

/** Ground Control's side: what the satellite should hold, and since when. */
export interface DriftDesired {
  /** Its groups with their current artifacts. */
  groups: readonly DesiredGroupInput[];
  /** G: digest of the satellite state served now; "" when none was stored yet. */
  stateDigest: string;
  /** When G was stored; null when none was. */
  stateStoredAt: Date | null;
  /** When the satellite was created (C when nothing was ever stored nor is pending). */
  createdAt: Date;
  /** A publish Ground Control still has to make for it. */
  pending?: { since: Date; lastError: string | null };
  /** Its config's replication interval in seconds; undefined when unset (the policy's default). */
  replicationIntervalSeconds?: number;
}

/** The satellite's side: its health inputs and its latest heartbeat. */
export interface DriftReport {
  /** When its last heartbeat arrived; null when never seen. */
  lastSeen: Date | null;
  /** Its reported heartbeat interval in seconds; null when unknown. */
  heartbeatIntervalSeconds: number | null;
  /** Its latest heartbeat; null when never seen. */
  latest: {
    /** R: latest_state_digest. */
    stateDigest: string;
    cachedImages: readonly { reference: string }[];
    errors: readonly { reference: string; message: string }[];
  } | null;
}

export interface DriftVerdict {
  state: DriftState;
  /** One line for people. */
  reason: string;
  health: Health;
  /** The reported state digest is the current one (see above). */
  current: boolean;
  /** C. */
  changedAt: Date;
  /** D. */
  dueAt: Date;
  /** Distinct desired `repository:tag`s. */
  desiredImageCount: number;
  /** Drifted images, by reference; empty when STALE or NEVER_SEEN (not judged). */
  images: ImageDriftEntry[];
}

/** The due time D for a change made at `changedAt`. */
export function driftDueAt(
  changedAt: Date,
  replicationIntervalSeconds: number,
  heartbeatIntervalSeconds: number,
  policy: DriftPolicy,
): Date {
  return new Date(
    changedAt.getTime() + (replicationIntervalSeconds + 2 * heartbeatIntervalSeconds) * 1000 + policy.slackMs,
  );
}

export function classifyDrift(
  desired: DriftDesired,
  report: DriftReport,
  now: Date,
  policy: DriftPolicy = DEFAULT_DRIFT_POLICY,
): DriftVerdict {
  const health = healthOf(report.lastSeen, report.heartbeatIntervalSeconds, now);
  const heartbeatSeconds = effectiveIntervalSeconds(report.heartbeatIntervalSeconds);
  const changedAt = desired.pending?.since ?? desired.stateStoredAt ?? desired.createdAt;
  const dueAt = driftDueAt(
    changedAt,
    desired.replicationIntervalSeconds ?? policy.defaultReplicationIntervalSeconds,
    heartbeatSeconds,
    policy,
  );
  const latest = report.latest;
  const reported = latest?.stateDigest ?? "";
  const current = !desired.pending && desired.stateDigest !== "" && reported === desired.stateDigest;
  const base = { health, current, changedAt, dueAt };

  if (health === Health.NEVER_SEEN || !latest) {
    const desiredImageCount = compareImages(desired.groups, [], []).desiredCount;
    return { ...base, state: DriftState.NEVER_SEEN, reason: "no heartbeat yet", desiredImageCount, images: [] };
  }
  const { desiredCount, drift } = compareImages(desired.groups, latest.cachedImages, latest.errors);
  const verdict = (state: DriftState, reason: string, images = drift): DriftVerdict => ({
    ...base,
    state,
    reason,
    desiredImageCount: desiredCount,
    images,
  });

  if (health === Health.STALE) {
    return verdict(
      DriftState.STALE,
      `no heartbeat since ${iso(report.lastSeen!)} (${MISSED_INTERVALS} intervals of ${heartbeatSeconds} s)`,
      [],
    );
  }
  // Harbor refuses the token-mode satellite's robot credentials and no refresh reached it: only a
  // new ZTR token helps, whatever the images say.
  const credentials = latest.errors.find((e) => e.reference === NEEDS_REENROLMENT_REFERENCE);
  if (credentials) return verdict(DriftState.FAILING, `needs re-enrolment: ${credentials.message.slice(0, 500)}`);
  const judged = current || (reported === "" && !desired.pending);
  if (judged && drift.length === 0) {
    const held =
      desiredCount === 0
        ? "no images desired"
        : `all ${desiredCount} desired image${desiredCount === 1 ? "" : "s"} held`;
    return verdict(DriftState.IN_SYNC, current ? held : `${held} (the satellite reports no state digest)`);
  }
  if (current) return verdict(DriftState.FAILING, driftSummary(drift, desiredCount));
  const due = now.getTime() < dueAt.getTime();
  return verdict(
    due ? DriftState.CONVERGING : DriftState.FAILING,
    why(desired, reported, drift, desiredCount, due, dueAt),
  );
}

/** Why a satellite that is not judged in sync is converging (`due`) or failing (overdue). */
function why(
  desired: DriftDesired,
  reported: string,
  drift: readonly ImageDriftEntry[],
  desiredCount: number,
  due: boolean,
  dueAt: Date,
): string {
  const when = due ? `; due by ${iso(dueAt)}` : `; was due by ${iso(dueAt)}`;
  const images = drift.length > 0 ? `; ${driftSummary(drift, desiredCount)}` : "";
  if (desired.pending) {
    const error = desired.pending.lastError ? ` (last attempt: ${desired.pending.lastError.slice(0, 300)})` : "";
    return `Ground Control ${due ? "is publishing" : "has not published"} a change made at ${iso(desired.pending.since)}${error}${when}${images}`;
  }
  if (desired.stateDigest === "") return `Ground Control has no satellite state for it yet${when}${images}`;
  if (reported === "") return `${driftSummary(drift, desiredCount)}${when}`;
  return `${due ? "applying" : "has not applied"} satellite state ${shortDigest(desired.stateDigest)} (reports ${shortDigest(reported)})${when}${images}`;
}

/** "2 of 5 images drifted: apps/a:1 missing, apps/b:2: manifest unknown" (errors about no desired image counted apart). */
function driftSummary(drift: readonly ImageDriftEntry[], desiredCount: number): string {
  const images = drift.filter((d) => d.groups.length > 0).length;
  const other = drift.length - images;
  const counts = [
    images > 0 ? `${images} of ${desiredCount} image${desiredCount === 1 ? "" : "s"} drifted` : "",
    other > 0 ? `${other} other error${other === 1 ? "" : "s"}` : "",
  ].filter(Boolean);
  const shown = drift.slice(0, 3).map(describeImageDrift).join(", ");
  const more = drift.length > 3 ? `, and ${drift.length - 3} more` : "";
  return `${counts.join(" and ")}: ${shown}${more}`;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
