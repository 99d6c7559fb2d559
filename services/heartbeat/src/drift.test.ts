// classifyDrift, the pure verdict: each state, each kind of image drift, the due time, and the
// satellites that report no state digest (the original Go satellite).
import { describe, expect, it } from "vitest";
import { DriftState, Health, ImageDriftKind } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { classifyDrift, DEFAULT_DRIFT_POLICY, driftDueAt, type DriftDesired, type DriftReport } from "./drift.js";

const PIN = (c: string) => `sha256:${c.repeat(64)}`;
const G = PIN("9");
const OLD = PIN("8");
const T0 = new Date("2026-03-01T12:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const web = {
  name: "web",
  artifacts: [
    { repository: "apps/nginx", tags: ["1.27", "latest"] },
    { repository: "apps/alpine", tags: ["3.20"], digest: PIN("a") },
  ],
};

function desired(overrides: Partial<DriftDesired> = {}): DriftDesired {
  // Stored at T0; replication every 10 s: due at T0 + 10 + 2 × 30 + 120 = T0 + 190 s.
  return {
    groups: [web],
    stateDigest: G,
    stateStoredAt: T0,
    createdAt: at(-3600),
    replicationIntervalSeconds: 10,
    ...overrides,
  };
}

const allHeld = [
  { reference: `10.0.0.1:8585/apps/nginx:1.27@${PIN("1")}` },
  { reference: `10.0.0.1:8585/apps/nginx:latest@${PIN("1")}` },
  { reference: `10.0.0.1:8585/apps/alpine:3.20@${PIN("a")}` },
];

function report(latest: Partial<NonNullable<DriftReport["latest"]>> = {}, lastSeen = at(100)): DriftReport {
  return {
    lastSeen,
    heartbeatIntervalSeconds: null,
    latest: { stateDigest: G, cachedImages: allHeld, errors: [], ...latest },
  };
}

describe("classifyDrift", () => {
  it("is IN_SYNC when the current state is reported and every desired image is held (tags at any digest, pins at theirs)", () => {
    const v = classifyDrift(desired(), report(), at(100));
    expect(v).toMatchObject({
      state: DriftState.IN_SYNC,
      health: Health.ONLINE,
      current: true,
      desiredImageCount: 3,
      images: [],
    });
    expect(v.reason).toBe("all 3 desired images held");
  });

  it("is FAILING with 'needs re-enrolment' when the satellite reports Harbor refusing its robot credentials, even with every image held", () => {
    const message = "Harbor refused the robot credentials (401): issue a new ZTR token";
    const v = classifyDrift(desired(), report({ errors: [{ reference: "robot-credentials", message }] }), at(100));
    expect(v.state).toBe(DriftState.FAILING);
    expect(v.reason).toBe(`needs re-enrolment: ${message}`);
  });

  it("is IN_SYNC with no groups at all", () => {
    const v = classifyDrift(desired({ groups: [] }), report({ cachedImages: [] }), at(100));
    expect(v).toMatchObject({ state: DriftState.IN_SYNC, desiredImageCount: 0, reason: "no images desired" });
  });

  it("is FAILING at once when the current state is reported with a missing image, a wrong digest and an error, listing each", () => {
    const v = classifyDrift(
      desired({ groups: [web, { name: "cache", artifacts: [{ repository: "apps/redis", tags: ["7"] }] }] }),
      report({
        cachedImages: [
          { reference: `10.0.0.1:8585/apps/nginx:1.27@${PIN("1")}` },
          { reference: `10.0.0.1:8585/apps/alpine:3.20@${PIN("b")}` },
        ],
        errors: [{ reference: "apps/redis:7", message: "MANIFEST_UNKNOWN: manifest unknown" }],
      }),
      at(1), // long before the due time: the pass of the current state is done, nothing is still due
    );
    expect(v.state).toBe(DriftState.FAILING);
    expect(v.images).toEqual([
      {
        reference: "apps/alpine:3.20",
        kind: ImageDriftKind.WRONG_DIGEST,
        desiredDigest: PIN("a"),
        cachedDigest: PIN("b"),
        message: "",
        groups: ["web"],
      },
      {
        reference: "apps/nginx:latest",
        kind: ImageDriftKind.MISSING,
        desiredDigest: "",
        cachedDigest: "",
        message: "",
        groups: ["web"],
      },
      {
        reference: "apps/redis:7",
        kind: ImageDriftKind.ERROR,
        desiredDigest: "",
        cachedDigest: "",
        message: "MANIFEST_UNKNOWN: manifest unknown",
        groups: ["cache"],
      },
    ]);
    expect(v.reason).toBe(
      `3 of 4 images drifted: apps/alpine:3.20 at ${PIN("b").slice(0, 19)}, not ${PIN("a").slice(0, 19)}, apps/nginx:latest missing, apps/redis:7: MANIFEST_UNKNOWN: manifest unknown`,
    );
  });

  it("counts an error about no desired image (an unreadable state artifact) as drift of its own", () => {
    const url = "https://gc.example.com/satellite/satellite-state/edge-1/state:latest";
    const v = classifyDrift(
      desired(),
      report({ errors: [{ reference: url, message: "connection refused" }] }),
      at(100),
    );
    expect(v.state).toBe(DriftState.FAILING);
    expect(v.images).toEqual([
      {
        reference: url,
        kind: ImageDriftKind.ERROR,
        desiredDigest: "",
        cachedDigest: "",
        message: "connection refused",
        groups: [],
      },
    ]);
    expect(v.reason).toBe(`1 other error: ${url}: connection refused`);
  });

  it("is CONVERGING while a pass of a newer state is still due, FAILING once it is overdue", () => {
    const old = report({ stateDigest: OLD, cachedImages: allHeld.slice(0, 1) });
    const due = driftDueAt(T0, 10, 30, DEFAULT_DRIFT_POLICY);
    expect(due).toEqual(at(190));
    const converging = classifyDrift(desired(), { ...old, lastSeen: at(189) }, at(189));
    expect(converging).toMatchObject({ state: DriftState.CONVERGING, current: false, dueAt: due, changedAt: T0 });
    expect(converging.reason).toMatch(
      /^applying satellite state sha256:999999999999 \(reports sha256:888888888888\); due by 2026-03-01T12:03:10Z; 2 of 3 images drifted/,
    );
    const overdue = classifyDrift(desired(), { ...old, lastSeen: at(190) }, at(190));
    expect(overdue.state).toBe(DriftState.FAILING);
    expect(overdue.reason).toMatch(
      /^has not applied satellite state sha256:999999999999 \(reports sha256:888888888888\); was due by 2026-03-01T12:03:10Z/,
    );
  });

  it("overdue is FAILING even when the images happen to match (the satellite did not apply the current state)", () => {
    const v = classifyDrift(desired(), report({ stateDigest: OLD }, at(1000)), at(1000));
    expect(v).toMatchObject({ state: DriftState.FAILING, images: [] });
  });

  it("takes the due time from the satellite's own intervals: its heartbeat interval and its config's replication interval (30 s when unset)", () => {
    const slow = classifyDrift(
      desired({ replicationIntervalSeconds: undefined }),
      { ...report({ stateDigest: OLD }), heartbeatIntervalSeconds: 300 },
      at(100),
    );
    expect(slow.dueAt).toEqual(at(30 + 600 + 120));
    const strict = classifyDrift(desired(), report({ stateDigest: OLD }), at(100), {
      slackMs: 0,
      defaultReplicationIntervalSeconds: 30,
    });
    expect(strict.dueAt).toEqual(at(70));
    expect(strict.state).toBe(DriftState.FAILING);
  });

  it("is CONVERGING while Ground Control still publishes a change, even when the satellite reports the stored state", () => {
    const pending = { since: at(50), lastError: "Harbor is unreachable" };
    const v = classifyDrift(desired({ pending }), report(), at(100));
    expect(v).toMatchObject({ state: DriftState.CONVERGING, current: false, changedAt: at(50), dueAt: at(240) });
    expect(v.reason).toBe(
      "Ground Control is publishing a change made at 2026-03-01T12:00:50Z (last attempt: Harbor is unreachable); due by 2026-03-01T12:04:00Z",
    );
    const stuck = classifyDrift(desired({ pending }), report({}, at(300)), at(300));
    expect(stuck.state).toBe(DriftState.FAILING);
    expect(stuck.reason).toMatch(
      /^Ground Control has not published a change made at .*\(last attempt: Harbor is unreachable\); was due by/,
    );
  });

  it("waits for Ground Control's first satellite state from the satellite's creation", () => {
    const v = classifyDrift(
      desired({ stateDigest: "", stateStoredAt: null, createdAt: T0 }),
      report({ stateDigest: "", cachedImages: [] }),
      at(100),
    );
    expect(v).toMatchObject({ state: DriftState.CONVERGING, changedAt: T0 });
  });

  it("judges a satellite that reports no state digest by its images alone: in sync, converging until due, then failing", () => {
    const original = (cachedImages: { reference: string }[], seconds: number) =>
      classifyDrift(desired(), report({ stateDigest: "", cachedImages }, at(seconds)), at(seconds));
    expect(original(allHeld, 100)).toMatchObject({
      state: DriftState.IN_SYNC,
      reason: "all 3 desired images held (the satellite reports no state digest)",
    });
    expect(original(allHeld.slice(1), 100).state).toBe(DriftState.CONVERGING);
    expect(original(allHeld.slice(1), 190).state).toBe(DriftState.FAILING);
  });

  it("matches cached images with or without a registry host in front, and errors by repository:tag", () => {
    const bare = allHeld.map((c) => ({ reference: c.reference.replace("10.0.0.1:8585/", "") }));
    expect(classifyDrift(desired(), report({ cachedImages: bare }), at(100)).state).toBe(DriftState.IN_SYNC);
    // A same-named image in another project is not the desired one.
    const elsewhere = classifyDrift(
      desired(),
      report({ cachedImages: [...allHeld.slice(1), { reference: `host/other/apps/nginx:1.27@${PIN("1")}` }] }),
      at(100),
    );
    expect(elsewhere.images.map((i) => [i.reference, i.kind])).toEqual([["apps/nginx:1.27", ImageDriftKind.MISSING]]);
  });

  it("reports a tag pinned to different digests by two groups as a CONFLICT", () => {
    const other = { name: "other", artifacts: [{ repository: "apps/alpine", tags: ["3.20"], digest: PIN("c") }] };
    const v = classifyDrift(desired({ groups: [web, other] }), report(), at(100));
    expect(v.state).toBe(DriftState.FAILING);
    expect(v.images).toEqual([
      {
        reference: "apps/alpine:3.20",
        kind: ImageDriftKind.CONFLICT,
        desiredDigest: "",
        cachedDigest: PIN("a"),
        message: `groups want ${PIN("a")} and ${PIN("c")}`,
        groups: ["other", "web"],
      },
    ]);
  });

  it("is STALE after three missed heartbeats and NEVER_SEEN before the first, judging no image", () => {
    const stale = classifyDrift(desired(), report({ cachedImages: [] }, at(0)), at(91));
    expect(stale).toMatchObject({ state: DriftState.STALE, health: Health.STALE, images: [] });
    expect(stale.reason).toBe("no heartbeat since 2026-03-01T12:00:00Z (3 intervals of 30 s)");
    expect(classifyDrift(desired(), report({ cachedImages: [] }, at(0)), at(90)).state).toBe(DriftState.FAILING);
    const never = classifyDrift(desired(), { lastSeen: null, heartbeatIntervalSeconds: null, latest: null }, at(100));
    expect(never).toMatchObject({
      state: DriftState.NEVER_SEEN,
      health: Health.NEVER_SEEN,
      desiredImageCount: 3,
      images: [],
      reason: "no heartbeat yet",
    });
  });

  it("summarises many drifted images in the reason and keeps them all in the verdict", () => {
    const many = {
      name: "many",
      artifacts: [
        { repository: "apps/big", tags: Array.from({ length: 25 }, (_, i) => `v${String(i).padStart(2, "0")}`) },
      ],
    };
    const v = classifyDrift(desired({ groups: [many] }), report({ cachedImages: [] }), at(100));
    expect(v.images).toHaveLength(25);
    expect(v.reason).toBe(
      "25 of 25 images drifted: apps/big:v00 missing, apps/big:v01 missing, apps/big:v02 missing, and 22 more",
    );
  });
});
