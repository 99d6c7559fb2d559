// Renewal outcomes counted where they happen: the sweep (queued), EnsureRobot's PUT (renewed or
// failed), against the Harbor emulator through the robot manager itself.
import { configs, openMemoryDatabase, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { createHarborClient } from "@harbor-satellite/harbor";
import { createLogger } from "@harbor-satellite/telemetry";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryModule } from "./index.js";
import { renewalPolicy } from "./robot-renewal.js";
import { createRobotStore } from "./robot-store.js";
import { createRobotManager } from "./robots.js";
import { createMemoryPusher } from "./testing.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const ADMIN = { username: "admin", password: "Harbor12345" };
const DAY_MS = 86_400_000;
const logger = createLogger({ name: "renewal-metrics-test", level: "silent" });

describe("robot renewal metrics", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let m: TestMetrics;

  beforeAll(async () => {
    m = startTestMetrics();
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }),
      openMemoryDatabase(),
    ]);
    const [{ id: configId }] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    await handle.db.insert(satellites).values([
      { name: "edge-old", configId },
      { name: "edge-broken", configId },
    ]);
  });
  afterAll(async () => {
    await emu?.stop();
    await handle?.close();
    await m?.stop();
  });

  it("counts robots queued by the sweep, renewed by EnsureRobot, and renewals Harbor refused", async () => {
    const harbor = createHarborClient({ url: emu.url, ...ADMIN });
    await harbor.ensureProject("satellite", { public: false });
    const robots = createRobotManager({
      harbor,
      store: createRobotStore(handle.db),
      logger,
      renewal: renewalPolicy(30),
      now: () => new Date(),
      ensureStateProject: async () => {},
      secretHash: FAST,
    });
    for (const name of ["edge-old", "edge-broken"]) {
      const { robot } = await robots.ensure(name, []);
      const record = emu.state.robots.get(robot.harborId)!;
      record.creationTime = new Date(record.creationTime.getTime() - 20 * DAY_MS);
      record.expiresAt = Math.floor(record.creationTime.getTime() / 1000) + record.duration * 86_400;
      // The database's expiry follows Harbor's, as a rotation would record it.
      await robots.rotate(name);
    }
    const module = createRegistryModule({
      db: handle.db,
      harbor: { url: emu.url, ...ADMIN },
      pusher: createMemoryPusher(),
      logger,
      robotDurationDays: 30,
      secretHash: FAST,
    });
    try {
      expect((await module.renewRobots()).sort()).toEqual(["edge-broken", "edge-old"]);
    } finally {
      await module.stop?.();
    }
    expect(await m.sum("ground_control.robot.renewals", { outcome: "queued" })).toBe(2);

    await robots.ensure("edge-old", []);
    expect(await m.sum("ground_control.robot.renewals", { outcome: "renewed" })).toBe(1);
    const failing = createRobotManager({
      harbor: { ...harbor, updateRobot: async () => Promise.reject(new Error("Harbor down")) },
      store: createRobotStore(handle.db),
      logger,
      renewal: renewalPolicy(30),
      now: () => new Date(),
      ensureStateProject: async () => {},
      secretHash: FAST,
    });
    await expect(failing.ensure("edge-broken", [])).rejects.toThrow();
    expect(await m.sum("ground_control.robot.renewals", { outcome: "failed" })).toBe(1);
  });
});
