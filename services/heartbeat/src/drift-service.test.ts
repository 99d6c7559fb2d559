// GetSatelliteDrift and ListSatelliteDrift through the generated client, with the real fleet,
// registry and heartbeat modules on one PGlite: satellites in every drift state, their images and
// reasons, the filters, keyset paging, and who may ask.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { satelliteStateArtifacts } from "@harbor-satellite/db";
import {
  DriftState,
  Health,
  ImageDriftKind,
  type ListSatelliteDriftRequestSchema,
  type SatelliteDrift,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { PIN, startDriftWorld, type DriftWorld } from "./drift-testing.js";
import { admin, clientAs, satellite } from "./testing.js";

const FAST = { app_config: { state_replication_interval: "@every 10s", heartbeat_interval: "@every 30s" } };
const HOST = "10.0.0.7:8585";
const held = (image: string, digest: string) => ({ reference: `${HOST}/${image}@${digest}`, sizeBytes: 1000n });
const WEB = [
  { repository: "apps/nginx", tags: ["1.27"] },
  { repository: "apps/alpine", tags: ["3.20"], digest: PIN("a") },
];
const WEB_HELD = [held("apps/nginx:1.27", PIN("1")), held("apps/alpine:3.20", PIN("a"))];

describe("drift rpcs", () => {
  let world: DriftWorld;
  const drift = () => clientAs(world.heartbeat, admin);
  const beat = (
    name: string,
    body: {
      latestStateDigest?: string;
      cachedImages?: { reference: string; sizeBytes: bigint }[];
      errors?: { reference: string; message: string }[];
    },
  ) => clientAs(world.heartbeat, satellite(name)).sync({ satellite: name, stateReportInterval: "@every 30s", ...body });
  const get = async (name: string) => (await drift().getSatelliteDrift({ satellite: name })).drift!;
  const list = async (req: MessageInitShape<typeof ListSatelliteDriftRequestSchema> = {}) =>
    drift().listSatelliteDrift(req);
  const names = (xs: SatelliteDrift[]) => xs.map((x) => x.satellite);

  beforeAll(async () => {
    world = await startDriftWorld();
    const { fleet } = world;
    await fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST) });
    await fleet.createGroup({ group: "web", artifacts: WEB });
    await fleet.createGroup({ group: "tools", artifacts: [{ repository: "apps/redis", tags: ["7"] }] });
    await fleet.createGroup({ group: "edge", artifacts: [{ repository: "apps/busybox", tags: ["1"] }] });
    await fleet.createGroup({
      group: "many",
      artifacts: [
        { repository: "apps/big", tags: Array.from({ length: 25 }, (_, i) => `v${String(i).padStart(2, "0")}`) },
      ],
    });
    const create = (name: string, groups: string[], region = "eu") =>
      fleet.createSatellite({ satellite: name, region, groups, config: "fast" });
    await create("sat-sync", ["web"]);
    await create("sat-original", ["web"], "us");
    await create("sat-converging", ["web"]);
    await create("sat-overdue", ["web"], "us");
    await create("sat-failing", ["web", "tools"]);
    await create("sat-many", ["many"]);
    await create("sat-pending", ["edge"]);
    await create("sat-stale", ["web"]);
    await create("sat-never", ["web"]);
    await world.publish();
    // As if sat-overdue's state had been published an hour ago, and its pass never came.
    await world.db
      .update(satelliteStateArtifacts)
      .set({ updatedAt: sql`now() - interval '1 hour'` })
      .where(eq(satelliteStateArtifacts.satellite, "sat-overdue"));

    const current = async (name: string) => world.stateDigest(name);
    // Heard from 10 minutes ago, and not since.
    const now = world.clock.now();
    world.clock.advance(-600_000);
    await beat("sat-stale", { latestStateDigest: await current("sat-stale"), cachedImages: WEB_HELD });
    world.clock.set(now);
    await beat("sat-sync", { latestStateDigest: await current("sat-sync"), cachedImages: WEB_HELD });
    await beat("sat-original", { cachedImages: WEB_HELD });
    await beat("sat-converging", { latestStateDigest: PIN("0"), cachedImages: [] });
    await beat("sat-overdue", {
      latestStateDigest: PIN("0"),
      cachedImages: WEB_HELD,
      errors: [
        {
          reference: "https://gc.example.com/satellite/satellite-state/sat-overdue/state:latest",
          message: "connection refused",
        },
      ],
    });
    await beat("sat-failing", {
      latestStateDigest: await current("sat-failing"),
      cachedImages: [held("apps/alpine:3.20", PIN("b"))],
      errors: [{ reference: "apps/redis:7", message: "MANIFEST_UNKNOWN: manifest unknown" }],
    });
    await beat("sat-many", { latestStateDigest: await current("sat-many"), cachedImages: [] });
    await beat("sat-pending", {
      latestStateDigest: await current("sat-pending"),
      cachedImages: [held("apps/busybox:1", PIN("2"))],
    });
    // A change Ground Control has not published yet: its outbox is not run again.
    await fleet.updateGroup({ group: "edge", artifacts: [{ repository: "apps/busybox", tags: ["1", "2"] }] });
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it("is IN_SYNC for a satellite that applied its current state and holds every image", async () => {
    const d = await get("sat-sync");
    expect(d).toMatchObject({
      satellite: "sat-sync",
      region: "eu",
      state: DriftState.IN_SYNC,
      health: Health.ONLINE,
      groups: ["web"],
      desiredImageCount: 2,
      imageDriftCount: 0,
      images: [],
      publishPending: false,
      reason: "all 2 desired images held",
    });
    expect(d.desiredStateDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.reportedStateDigest).toBe(d.desiredStateDigest);
    expect(d.dueTime).toBeUndefined();
  });

  it("is IN_SYNC by its images alone for a satellite that reports no state digest", async () => {
    expect(await get("sat-original")).toMatchObject({
      state: DriftState.IN_SYNC,
      reportedStateDigest: "",
      reason: "all 2 desired images held (the satellite reports no state digest)",
    });
  });

  it("is CONVERGING while a pass of the new state is due, with the due time and what is not there yet", async () => {
    const d = await get("sat-converging");
    expect(d).toMatchObject({ state: DriftState.CONVERGING, reportedStateDigest: PIN("0"), imageDriftCount: 2 });
    // Due 10 s (replication) + 2 × 30 s (heartbeats) + 120 s after the state was stored.
    expect(timestampDate(d.dueTime!).getTime() - timestampDate(d.changeTime!).getTime()).toBe(190_000);
    expect(d.reason).toMatch(/^applying satellite state sha256:[0-9a-f]{12} \(reports sha256:000000000000\); due by /);
    expect(d.images.map((i) => [i.reference, i.kind])).toEqual([
      ["apps/alpine:3.20", ImageDriftKind.MISSING],
      ["apps/nginx:1.27", ImageDriftKind.MISSING],
    ]);
  });

  it("is CONVERGING while Ground Control has a change to publish, even though the satellite reports the stored state", async () => {
    const d = await get("sat-pending");
    expect(d).toMatchObject({ state: DriftState.CONVERGING, publishPending: true, publishError: "" });
    expect(d.reason).toMatch(
      /^Ground Control is publishing a change made at .*; due by .*; 1 of 2 images drifted: apps\/busybox:2 missing$/,
    );
  });

  it("is FAILING with each image and its reason: wrong digest, missing, reported error", async () => {
    const d = await get("sat-failing");
    expect(d).toMatchObject({
      state: DriftState.FAILING,
      groups: ["tools", "web"],
      desiredImageCount: 3,
      imageDriftCount: 3,
    });
    expect(
      d.images.map(({ reference, kind, desiredDigest, cachedDigest, message, groups }) => ({
        reference,
        kind,
        desiredDigest,
        cachedDigest,
        message,
        groups,
      })),
    ).toEqual([
      {
        reference: "apps/alpine:3.20",
        kind: ImageDriftKind.WRONG_DIGEST,
        desiredDigest: PIN("a"),
        cachedDigest: PIN("b"),
        message: "",
        groups: ["web"],
      },
      {
        reference: "apps/nginx:1.27",
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
        groups: ["tools"],
      },
    ]);
    expect(d.reason).toMatch(
      /^3 of 3 images drifted: apps\/alpine:3.20 at sha256:bbbbbbbbbbbb, not sha256:aaaaaaaaaaaa, apps\/nginx:1.27 missing, apps\/redis:7: MANIFEST_UNKNOWN/,
    );
  });

  it("is FAILING when the pass of a change is overdue, with the error the satellite reported", async () => {
    const d = await get("sat-overdue");
    expect(d).toMatchObject({ state: DriftState.FAILING, imageDriftCount: 1 });
    expect(d.reason).toMatch(
      /^has not applied satellite state sha256:[0-9a-f]{12} \(reports sha256:000000000000\); was due by .*; 1 other error: https:\/\/gc.example.com\/.*: connection refused$/,
    );
    expect(d.images[0]).toMatchObject({ kind: ImageDriftKind.ERROR, groups: [], message: "connection refused" });
  });

  it("is STALE without a recent heartbeat and NEVER_SEEN before the first, judging no image", async () => {
    expect(await get("sat-stale")).toMatchObject({
      state: DriftState.STALE,
      health: Health.STALE,
      images: [],
      imageDriftCount: 0,
    });
    expect(await get("sat-never")).toMatchObject({
      state: DriftState.NEVER_SEEN,
      health: Health.NEVER_SEEN,
      desiredImageCount: 2,
      reason: "no heartbeat yet",
    });
    expect((await get("sat-never")).lastSeenTime).toBeUndefined();
  });

  it("lists every drifted image in Get, and at most 20 per satellite in List", async () => {
    const one = await get("sat-many");
    expect(one).toMatchObject({ state: DriftState.FAILING, imageDriftCount: 25 });
    expect(one.images).toHaveLength(25);
    const [listed] = (await list({ satellitePrefix: "sat-many" })).satellites;
    expect(listed.imageDriftCount).toBe(25);
    expect(listed.images.map((i) => i.reference)).toEqual(one.images.slice(0, 20).map((i) => i.reference));
  });

  it("lists all satellites in name order with the total, and filters by each drift state", async () => {
    const all = await list();
    expect(names(all.satellites)).toEqual([
      "sat-converging",
      "sat-failing",
      "sat-many",
      "sat-never",
      "sat-original",
      "sat-overdue",
      "sat-pending",
      "sat-stale",
      "sat-sync",
    ]);
    expect(all.page).toMatchObject({ nextPageToken: "", totalSize: 9n });
    const only = async (state: DriftState) => names((await list({ state })).satellites);
    expect(await only(DriftState.IN_SYNC)).toEqual(["sat-original", "sat-sync"]);
    expect(await only(DriftState.CONVERGING)).toEqual(["sat-converging", "sat-pending"]);
    expect(await only(DriftState.FAILING)).toEqual(["sat-failing", "sat-many", "sat-overdue"]);
    expect(await only(DriftState.STALE)).toEqual(["sat-stale"]);
    expect(await only(DriftState.NEVER_SEEN)).toEqual(["sat-never"]);
    // Exact in SQL: counted; the others would need every satellite judged.
    expect((await list({ state: DriftState.STALE })).page?.totalSize).toBe(1n);
    expect((await list({ state: DriftState.FAILING })).page?.totalSize).toBe(0n);
  });

  it("filters by region, group and name prefix, combined", async () => {
    expect(names((await list({ region: "us" })).satellites)).toEqual(["sat-original", "sat-overdue"]);
    expect(names((await list({ group: "tools" })).satellites)).toEqual(["sat-failing"]);
    expect(names((await list({ satellitePrefix: "sat-s" })).satellites)).toEqual(["sat-stale", "sat-sync"]);
    expect(names((await list({ group: "web", region: "us", state: DriftState.FAILING })).satellites)).toEqual([
      "sat-overdue",
    ]);
    expect((await list({ group: "web", satellitePrefix: "sat-o" })).page?.totalSize).toBe(2n);
    expect((await list({ satellitePrefix: "nope" })).satellites).toEqual([]);
  });

  it("pages by name with opaque tokens, each page continuing where the last stopped", async () => {
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const res = await list({ page: { pageSize: 2, pageToken: token } });
      expect(res.satellites.length).toBeLessThanOrEqual(2);
      expect(res.page?.totalSize).toBe(9n);
      seen.push(...names(res.satellites));
      token = res.page?.nextPageToken ?? "";
      pages++;
    } while (token !== "");
    expect(pages).toBe(5);
    expect(seen).toEqual(names((await list()).satellites));
    // A filtered walk ends on its last match.
    const failing = await list({ state: DriftState.FAILING, page: { pageSize: 2 } });
    expect(names(failing.satellites)).toEqual(["sat-failing", "sat-many"]);
    const rest = await list({
      state: DriftState.FAILING,
      page: { pageSize: 2, pageToken: failing.page!.nextPageToken },
    });
    expect(names(rest.satellites)).toEqual(["sat-overdue"]);
    expect(rest.page?.nextPageToken).toBe("");
    // A token of the older form (the last name, no total) still continues, counting again.
    const older = await list({ page: { pageSize: 2, pageToken: Buffer.from(`d:${seen[1]}`).toString("base64url") } });
    expect(names(older.satellites)).toEqual(seen.slice(2, 4));
    expect(older.page?.totalSize).toBe(9n);
  });

  it("counts the total on the first page only: later pages repeat it from their token", async () => {
    const first = await list({ group: "web", page: { pageSize: 1 } });
    const total = first.page!.totalSize;
    const token = first.page!.nextPageToken;
    expect(token).not.toBe("");
    // Forged to say 1234: the server takes the total from the token rather than counting.
    const forged = Buffer.from(
      Buffer.from(token, "base64url")
        .toString()
        .replace(/^d:\d+:/, "d:1234:"),
    ).toString("base64url");
    expect((await list({ group: "web", page: { pageSize: 1, pageToken: forged } })).page?.totalSize).toBe(1234n);
    expect((await list({ group: "web", page: { pageSize: 1, pageToken: token } })).page?.totalSize).toBe(total);
  });

  it("turns a converging satellite failing once its pass is overdue", async () => {
    const before = await get("sat-converging");
    const now = world.clock.now();
    world.clock.set(timestampDate(before.dueTime!));
    try {
      await beat("sat-converging", { latestStateDigest: PIN("0"), cachedImages: [] });
      const after = await get("sat-converging");
      expect(after.state).toBe(DriftState.FAILING);
      expect(after.reason).toMatch(/^has not applied satellite state .*; was due by /);
    } finally {
      world.clock.set(now);
      await beat("sat-converging", { latestStateDigest: PIN("0"), cachedImages: [] });
    }
  });

  it("refuses bad filters and tokens, unknown satellites, and callers that are not admins", async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => ConnectError.from(e).code,
      );
    expect(await code(list({ state: 42 as DriftState }))).toBe(Code.InvalidArgument);
    expect(await code(list({ satellitePrefix: "Sat" }))).toBe(Code.InvalidArgument);
    expect(await code(list({ region: "no way" }))).toBe(Code.InvalidArgument);
    expect(await code(list({ page: { pageToken: "bm9wZQ" } }))).toBe(Code.InvalidArgument);
    expect(await code(list({ page: { pageToken: Buffer.from("o5").toString("base64url") } }))).toBe(
      Code.InvalidArgument,
    );
    expect(await code(drift().getSatelliteDrift({ satellite: "nobody" }))).toBe(Code.NotFound);
    expect(await code(drift().getSatelliteDrift({ satellite: "" }))).toBe(Code.InvalidArgument);
    expect(
      await code(clientAs(world.heartbeat, satellite("sat-sync")).getSatelliteDrift({ satellite: "sat-sync" })),
    ).toBe(Code.PermissionDenied);
    expect(await code(clientAs(world.heartbeat, { kind: "anonymous" }).listSatelliteDrift({}))).toBe(
      Code.Unauthenticated,
    );
  });
});
