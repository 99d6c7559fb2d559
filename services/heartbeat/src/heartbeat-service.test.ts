import { timestampFromDate, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  heartbeats,
  openMemoryDatabase,
  satelliteStateArtifacts,
  satellites,
  type DatabaseHandle,
} from "@harbor-satellite/db";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createHeartbeatModule, type HeartbeatModule } from "./index.js";
import { admin, clientAs, manualClock, satellite, seedSatellites, silentLogger } from "./testing.js";

const DIGEST = `sha256:${"b".repeat(64)}`;

describe("HeartbeatService", () => {
  let handle: DatabaseHandle;
  let module: HeartbeatModule;
  const clock = manualClock();

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    module = createHeartbeatModule({ db: handle.db, logger: silentLogger, now: clock.now, ingest: { lingerMs: 1 } });
    await seedSatellites(handle.db, ["edge-a", "edge-b", "edge-c"], "eu");
    await seedSatellites(handle.db, ["edge-d", "edge-e"], "us");
  });
  afterAll(async () => {
    await module?.stop?.();
    await handle?.close();
  });

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (error) {
      return ConnectError.from(error).code;
    }
    return undefined;
  };

  it("records a heartbeat and reports it back as the satellite's latest", async () => {
    const sent = {
      satellite: "edge-a",
      activity: "cri_fallback_configured: containerd(ok)",
      stateReportInterval: "@every 10s",
      latestStateDigest: DIGEST,
      latestConfigDigest: DIGEST,
      memoryUsedBytes: 123_456_789n,
      storageUsedBytes: 987_654_321n,
      cpuPercent: 42.5,
      requestCreateTime: timestampFromDate(new Date(clock.now().getTime() - 250)),
      lastSyncDurationMs: 1234n,
      imageCount: 2,
      cachedImages: [
        { reference: `reg/library/nginx:1.27@${DIGEST}`, sizeBytes: 1000n },
        { reference: `reg/library/redis:7@${DIGEST}`, sizeBytes: 2000n },
      ],
      errors: [{ reference: "library/broken:1", message: "manifest unknown" }],
    };
    const res = await clientAs(module, satellite("edge-a")).sync(sent);
    expect(timestampDate(res.receiveTime!)).toEqual(clock.now());

    const { status } = await clientAs(module, admin).getSatelliteStatus({ satellite: "edge-a" });
    expect(status).toMatchObject({
      name: "edge-a",
      region: "eu",
      health: Health.ONLINE,
      heartbeatIntervalSeconds: 10n,
    });
    expect(timestampDate(status!.lastSeenTime!)).toEqual(clock.now());
    const { $typeName: _t, ...latest } = status!.latest!;
    expect(latest).toMatchObject({
      ...sent,
      stateReportInterval: "@every 00h00m10s",
      cachedImages: expect.any(Array),
      errors: expect.any(Array),
    });
    expect(latest.name).toBe("edge-a"); // under its deprecated name too, until v0.3
    expect(latest.cachedImages.map((i) => [i.reference, i.sizeBytes])).toEqual(
      sent.cachedImages.map((i) => [i.reference, i.sizeBytes]),
    );
    expect(latest.errors.map((e) => [e.reference, e.message])).toEqual([["library/broken:1", "manifest unknown"]]);
  });

  it("answers with where the satellite's state is and its current digest", async () => {
    const withUrl = createHeartbeatModule({
      db: handle.db,
      logger: silentLogger,
      now: clock.now,
      ingest: { lingerMs: 1 },
      publicUrl: "https://gc.example.com/",
    });
    try {
      const bytes = Buffer.from("{}");
      await handle.db.insert(satelliteStateArtifacts).values({
        satellite: "edge-c",
        manifestDigest: DIGEST,
        manifest: bytes,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        configDigest: DIGEST,
        config: bytes,
        layerDigest: DIGEST,
        layer: bytes,
        timestampTag: "1",
      });
      const published = await clientAs(withUrl, satellite("edge-c")).sync({ satellite: "edge-c" });
      expect(published).toMatchObject({
        satelliteStateUrl: "https://gc.example.com/satellite/satellite-state/edge-c/state:latest",
        satelliteStateDigest: DIGEST,
      });
      const unpublished = await clientAs(withUrl, satellite("edge-d")).sync({ satellite: "edge-d" });
      expect(unpublished).toMatchObject({
        satelliteStateUrl: "https://gc.example.com/satellite/satellite-state/edge-d/state:latest",
        satelliteStateDigest: "",
      });
      // Without GROUND_CONTROL_URL and without a gateway to say the request's URL, no URL is made up.
      expect(await clientAs(module, satellite("edge-c")).sync({ satellite: "edge-c" })).toMatchObject({
        satelliteStateUrl: "",
        satelliteStateDigest: DIGEST,
      });
    } finally {
      await withUrl.stop?.();
    }
  });

  it("moves the satellite's latest heartbeat and interval with every Sync", async () => {
    const client = clientAs(module, satellite("edge-b"));
    await client.sync({ satellite: "edge-b", stateReportInterval: "@every 00h00m30s", imageCount: 1 });
    clock.advance(1000);
    await client.sync({ satellite: "edge-b", stateReportInterval: "*/2 * * * *", imageCount: 2 });
    const [sat] = await handle.db.select().from(satellites).where(eq(satellites.name, "edge-b"));
    const rows = await handle.db.select().from(heartbeats).where(eq(heartbeats.satelliteId, sat.id));
    expect(rows).toHaveLength(2);
    expect(sat.latestHeartbeatId).toBe(Math.max(...rows.map((r) => r.id)));
    expect(sat.heartbeatIntervalSeconds).toBe(120);
    const { status } = await clientAs(module, admin).getSatelliteStatus({ satellite: "edge-b" });
    expect(status?.latest?.imageCount).toBe(2);
  });

  it("turns a satellite STALE after three missed intervals, ONLINE again on its next heartbeat", async () => {
    const client = clientAs(module, satellite("edge-c"));
    await client.sync({ satellite: "edge-c", stateReportInterval: "@every 20s" });
    const health = async () =>
      (await clientAs(module, admin).getSatelliteStatus({ satellite: "edge-c" })).status?.health;
    clock.advance(60_000);
    expect(await health()).toBe(Health.ONLINE);
    clock.advance(1);
    expect(await health()).toBe(Health.STALE);
    await client.sync({ satellite: "edge-c", stateReportInterval: "@every 20s" });
    expect(await health()).toBe(Health.ONLINE);
  });

  it("reports a satellite that never sent a heartbeat as NEVER_SEEN with the default interval", async () => {
    const { status } = await clientAs(module, admin).getSatelliteStatus({ satellite: "edge-e" });
    expect(status).toMatchObject({
      name: "edge-e",
      region: "us",
      health: Health.NEVER_SEEN,
      heartbeatIntervalSeconds: 30n,
    });
    expect(status?.lastSeenTime).toBeUndefined();
    expect(status?.latest).toBeUndefined();
  });

  it("lists statuses by name, filtered by health and region in SQL, page by page", async () => {
    const admins = clientAs(module, admin);
    await clientAs(module, satellite("edge-d")).sync({ satellite: "edge-d", stateReportInterval: "@every 1h" });
    clock.advance(10 * 60_000); // edge-a (10 s), edge-b (2 min), edge-c (20 s) are stale; edge-d (1 h) online
    const names = async (req: Parameters<typeof admins.listSatelliteStatuses>[0]) =>
      (await admins.listSatelliteStatuses(req)).statuses.map((s) => s.name);
    expect(await names({})).toEqual(["edge-a", "edge-b", "edge-c", "edge-d", "edge-e"]);
    expect(await names({ health: Health.STALE })).toEqual(["edge-a", "edge-b", "edge-c"]);
    expect(await names({ health: Health.ONLINE })).toEqual(["edge-d"]);
    expect(await names({ health: Health.NEVER_SEEN })).toEqual(["edge-e"]);
    expect(await names({ region: "us" })).toEqual(["edge-d", "edge-e"]);
    expect(await names({ region: "eu", health: Health.ONLINE })).toEqual([]);

    const first = await admins.listSatelliteStatuses({ health: Health.STALE, page: { pageSize: 2 } });
    expect(first.statuses.map((s) => s.name)).toEqual(["edge-a", "edge-b"]);
    expect(first.page).toMatchObject({ totalSize: 3n });
    expect(first.statuses[0].latest?.cachedImages).toEqual([]); // lists leave image lists out
    const second = await admins.listSatelliteStatuses({
      health: Health.STALE,
      page: { pageSize: 2, pageToken: first.page!.nextPageToken },
    });
    expect(second.statuses.map((s) => s.name)).toEqual(["edge-c"]);
    expect(second.page?.nextPageToken).toBe("");
  });

  it("answers NotFound for unknown satellites and InvalidArgument for bad input", async () => {
    expect(await code(clientAs(module, admin).sync({ satellite: "ghost" }))).toBe(Code.NotFound);
    expect(await code(clientAs(module, admin).getSatelliteStatus({ satellite: "ghost" }))).toBe(Code.NotFound);
    expect(await code(clientAs(module, admin).sync({ satellite: "edge-a", cpuPercent: 200 }))).toBe(
      Code.InvalidArgument,
    );
    expect(await code(clientAs(module, admin).sync({ satellite: "Bad Name" }))).toBe(Code.InvalidArgument);
    expect(await code(clientAs(module, admin).listSatelliteStatuses({ region: "EU" }))).toBe(Code.InvalidArgument);
    expect(await code(clientAs(module, admin).listSatelliteStatuses({ health: 9 as Health }))).toBe(
      Code.InvalidArgument,
    );
    expect(await code(clientAs(module, admin).listSatelliteStatuses({ page: { pageToken: "nope" } }))).toBe(
      Code.InvalidArgument,
    );
    const err = await clientAs(module, admin)
      .sync({ satellite: "edge-a", cachedImages: Array.from({ length: 10_001 }, () => ({ reference: "r:t" })) })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/cached_images has 10001 entries; at most 10000/),
    });
  });

  it("lets a satellite report only as itself and keeps statuses for admins", async () => {
    expect(await code(clientAs(module, satellite("edge-a")).sync({ satellite: "edge-b" }))).toBe(Code.PermissionDenied);
    expect(await code(clientAs(module, satellite("edge-a")).getSatelliteStatus({ satellite: "edge-a" }))).toBe(
      Code.PermissionDenied,
    );
    expect(await code(clientAs(module, { kind: "anonymous" }).sync({ satellite: "edge-a" }))).toBe(
      Code.Unauthenticated,
    );
    expect(await code(clientAs(module, { kind: "anonymous" }).listSatelliteStatuses({}))).toBe(Code.Unauthenticated);
    expect(await code(clientAs(module, admin).sync({ satellite: "edge-a" }))).toBeUndefined();
  });

  it("answers NotFound once a satellite is deleted, even with its id cached", async () => {
    const [extra] = (await seedSatellites(handle.db, ["edge-gone"])).values();
    await clientAs(module, admin).sync({ satellite: "edge-gone" });
    await handle.db.delete(satellites).where(eq(satellites.id, extra));
    expect(await code(clientAs(module, admin).sync({ satellite: "edge-gone" }))).toBe(Code.NotFound);
    // Re-created under the same name: the stale cached id is replaced, the heartbeat lands.
    const [again] = (await seedSatellites(handle.db, ["edge-gone"])).values();
    await clientAs(module, admin).sync({ satellite: "edge-gone" });
    const [row] = await handle.db.select().from(satellites).where(eq(satellites.id, again));
    expect(row.latestHeartbeatId).not.toBeNull();
  });

  it("takes the satellite by its deprecated name until v0.3, alone or agreeing, and refuses the two disagreeing", async () => {
    await seedSatellites(handle.db, ["edge-old"], "eu");
    const old = clientAs(module, satellite("edge-old"));
    await old.sync({ name: "edge-old", imageCount: 1 });
    await old.sync({ satellite: "edge-old", name: "edge-old", imageCount: 2 });
    const { status } = await clientAs(module, admin).getSatelliteStatus({ name: "edge-old" });
    expect(status?.latest).toMatchObject({ satellite: "edge-old", name: "edge-old", imageCount: 2 });
    const refused = await old
      .sync({ satellite: "edge-old", name: "edge-a" })
      .catch((e: unknown) => ConnectError.from(e));
    expect(refused).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage:
        'satellite "edge-old" and name "edge-a" disagree: name is the deprecated name of satellite (accepted until v0.3); send satellite only',
    });
    expect(await code(clientAs(module, admin).getSatelliteStatus({ satellite: "edge-old", name: "edge-a" }))).toBe(
      Code.InvalidArgument,
    );
  });
});
