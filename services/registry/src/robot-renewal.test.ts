// Robots outlive ROBOT_DURATION_DAYS while their satellite exists: EnsureRobot renews one close to
// expiry through UpdateRobot (the Harbor emulator follows Harbor: RefreshSec leaves expires_at
// alone, a new duration moves it to creation + duration days), and the sweep queues `sync-robot`
// for robots close to expiry so the fleet's outbox runs EnsureRobot for them.
import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import {
  configs,
  openMemoryDatabase,
  outbox,
  robotAccounts,
  satellites,
  type DatabaseHandle,
} from "@harbor-satellite/db";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createRegistryModule, type RegistryModule } from "./index.js";
import { renewalPolicy, renewedDuration } from "./robot-renewal.js";
import { createMemoryPusher } from "./testing.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const ADMIN = { username: "admin", password: "Harbor12345" };
const DAY = 86_400;
const logger = createLogger({ name: "renewal-test", level: "silent" });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("renewed duration", () => {
  const now = new Date("2026-01-31T00:00:00Z");
  const t = now.getTime() / 1000;
  const robot = (createdDaysAgo: number, duration: number) => ({
    creation_time: new Date((t - createdDaysAgo * DAY) * 1000).toISOString(),
    duration,
    expires_at: t + (duration - createdDaysAgo) * DAY,
  });

  it("extends a robot inside the window to ROBOT_DURATION_DAYS from now, counted from its creation as Harbor does", () => {
    const policy = renewalPolicy(30);
    expect(policy.withinDays).toBe(15);
    expect(renewedDuration(robot(20, 30), policy, now)).toBe(50);
    expect(renewedDuration({ ...robot(20, 30), creation_time: undefined }, policy, now)).toBe(50);
    expect(renewedDuration(robot(20.5, 30), policy, now)).toBe(51);
    // Already expired: renewed all the same.
    expect(renewedDuration(robot(45, 30), policy, now)).toBe(75);
  });

  it("leaves robots outside the window, never-expiring ones, and never shortens", () => {
    expect(renewedDuration(robot(10, 30), renewalPolicy(30), now)).toBeUndefined();
    expect(renewedDuration({ expires_at: -1, duration: -1 }, renewalPolicy(30), now)).toBeUndefined();
    expect(renewedDuration(robot(20, 90), renewalPolicy(30, 80), now)).toBeUndefined();
  });

  it("makes an expiring robot never-expiring when ROBOT_DURATION_DAYS is -1, and keeps the window within the lifetime", () => {
    expect(renewedDuration(robot(1, 30), renewalPolicy(-1), now)).toBe(-1);
    expect(renewalPolicy(3, 7).withinDays).toBe(3);
    // A renewed robot is out of the window at once, so the sweep does not queue it again.
    const policy = renewalPolicy(3, 7);
    const days = renewedDuration(robot(2.5, 3), policy, now) as number;
    expect(t - 2.5 * DAY + days * DAY - t).toBeGreaterThanOrEqual(policy.withinDays * DAY);
  });
});

describe("robot renewal against the Harbor emulator", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let module: RegistryModule;
  let client: Client<typeof RegistryService>;
  let configId: number;

  beforeAll(async () => {
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }),
      openMemoryDatabase(),
    ]);
    module = createRegistryModule({
      db: handle.db,
      harbor: { url: emu.url, ...ADMIN },
      pusher: createMemoryPusher(),
      logger,
      robotDurationDays: 30,
      secretHash: FAST,
    });
    client = createClient(
      RegistryService,
      createRouterTransport(module.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
    [{ id: configId }] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => {
    await module?.stop?.();
    await emu?.stop();
    await handle?.close();
  });

  /** A satellite with a robot created `daysAgo` days ago (the emulator's clock moved back), and its secret. */
  const agedRobot = async (name: string, daysAgo: number) => {
    await handle.db.insert(satellites).values({ name, configId });
    const { robot } = await client.ensureRobot({ satellite: name, projects: [] });
    const record = emu.state.robots.get(Number(robot?.harborId));
    if (!record) throw new Error("robot not created");
    record.creationTime = new Date(record.creationTime.getTime() - daysAgo * DAY * 1000);
    record.expiresAt = Math.floor(record.creationTime.getTime() / 1000) + record.duration * DAY;
    const { secret } = await client.rotateRobotSecret({ satellite: name });
    return { record, secret, username: `robot$${name}` };
  };

  it("renews a robot with fewer than half its days left on EnsureRobot, keeping its secret", async () => {
    const { record, username } = await agedRobot("edge-old", 20);
    // RefreshSec (as at enrolment) does not move expires_at, as in Harbor.
    const before = record.expiresAt;
    const { secret } = await client.rotateRobotSecret({ satellite: "edge-old" });
    expect(record.expiresAt).toBe(before);
    expect(before - nowSeconds()).toBeLessThan(11 * DAY);
    const res = await client.ensureRobot({ satellite: "edge-old", projects: [] });
    // 20 days since creation (plus the seconds this test took, rounded up to a day) + 30.
    expect(record.duration).toBeGreaterThanOrEqual(50);
    expect(record.duration).toBeLessThanOrEqual(51);
    expect(record.expiresAt - nowSeconds()).toBeGreaterThanOrEqual(30 * DAY - 5);
    expect(Number(res.robot?.expireTime?.seconds)).toBe(record.expiresAt);
    const [row] = await handle.db.select().from(robotAccounts).where(eq(robotAccounts.robotName, username));
    expect(row.expiresAt?.getTime()).toBe(record.expiresAt * 1000);
    // UpdateRobot leaves the secret alone: the satellite keeps working with what it has.
    expect(record.secret).toBe(secret);
    expect(emu.state.authenticateRobot(username, secret)?.id).toBe(record.id);
  });

  it("revives an expired robot, and leaves a young one untouched", async () => {
    const old = await agedRobot("edge-expired", 40);
    expect(emu.state.authenticateRobot(old.username, old.secret)).toBeUndefined();
    await client.ensureRobot({ satellite: "edge-expired", projects: [] });
    expect(emu.state.authenticateRobot(old.username, old.secret)?.id).toBe(old.record.id);

    const young = await agedRobot("edge-young", 2);
    const { duration, expiresAt, updateTime } = young.record;
    await client.ensureRobot({ satellite: "edge-young", projects: [] });
    expect(young.record).toMatchObject({ duration, expiresAt, updateTime });
  });

  it("queues sync-robot for satellites whose robot expires within the window, once, from start() and on demand", async () => {
    await handle.db.delete(outbox);
    await agedRobot("edge-due", 25);
    expect(await module.renewRobots()).toEqual(["edge-due"]);
    expect(await module.renewRobots()).toEqual(["edge-due"]);
    const rows = await handle.db.select().from(outbox);
    expect(rows.map((r) => `${r.kind} ${r.subject} ${r.revision}`)).toEqual(["sync-robot edge-due 0"]);

    // The fleet's publisher would now run EnsureRobot; after it, nothing is due.
    await client.ensureRobot({ satellite: "edge-due", projects: [] });
    await handle.db.delete(outbox);
    expect(await module.renewRobots()).toEqual([]);

    await agedRobot("edge-due-2", 26);
    const sweeping = createRegistryModule({
      db: handle.db,
      harbor: { url: emu.url, ...ADMIN },
      pusher: createMemoryPusher(),
      logger,
      robotDurationDays: 30,
      robotRenewal: { sweepIntervalMs: 20 },
      secretHash: FAST,
    });
    sweeping.start?.();
    try {
      await vi.waitFor(
        async () => expect((await handle.db.select().from(outbox)).map((r) => r.subject)).toEqual(["edge-due-2"]),
        { timeout: 5_000, interval: 20 },
      );
    } finally {
      await sweeping.stop?.();
    }
  });
});
