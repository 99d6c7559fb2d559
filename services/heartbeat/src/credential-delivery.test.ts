// Credential refresh through Sync, with the registry service rotating in the Harbor emulator and a
// real (embedded) database: the schedule, delivery to the satellite itself only, a lost answer
// answered by a fresh rotation while the secret the satellite holds stays accepted, and the
// acknowledgement that ends the window.
import { createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemoryDatabase, robotAccounts, type DatabaseHandle } from "@harbor-satellite/db";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { createHarborClient } from "@harbor-satellite/harbor";
import { createRegistryModule } from "@harbor-satellite/registry";
import { callerKey, errorMappingInterceptor, verifySecret } from "@harbor-satellite/rpc";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { createHeartbeatModule, type HeartbeatModule } from "./index.js";
import { admin, clientAs, manualClock, satellite, seedSatellites, silentLogger } from "./testing.js";

const HARBOR = { username: "admin", password: "Harbor12345" };
const FAST_SCRYPT = { ln: 10, r: 8, p: 1 };

describe("credential refresh through Sync", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let heartbeat: HeartbeatModule;
  let registry: Client<typeof RegistryService>;
  let enrolled: string;
  let m: TestMetrics;
  const clock = manualClock();

  beforeAll(async () => {
    m = startTestMetrics();
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password }),
      openMemoryDatabase(),
    ]);
    await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("apps", { public: false });
    const registryModule = createRegistryModule({
      db: handle.db,
      harbor: { url: emu.url, ...HARBOR },
      logger: silentLogger,
      robotDurationDays: 30,
      publicUrl: "https://gc.example.com",
      secretHash: FAST_SCRYPT,
    });
    const asService: Interceptor = (next) => (req) => {
      req.contextValues.set(callerKey, { kind: "admin", username: "admin" });
      return next(req);
    };
    registry = createClient(
      RegistryService,
      createRouterTransport(registryModule.routes, {
        router: { interceptors: [errorMappingInterceptor(), asService] },
      }),
    );
    heartbeat = createHeartbeatModule({
      db: handle.db,
      logger: silentLogger,
      now: clock.now,
      ingest: { lingerMs: 1 },
      credentialRefresh: { registry, policy: { maxAgeSeconds: 60, remainingFraction: 0 } },
    });
    await seedSatellites(handle.db, ["edge-1"]);
    enrolled = (await registry.ensureRobot({ satellite: "edge-1", projects: ["apps"] })).secret;
  });
  afterAll(async () => {
    await heartbeat?.stop?.();
    await emu?.stop();
    await handle?.close();
    await m?.stop();
  });

  const harborSecret = () => [...emu.state.robots.values()].find((r) => r.name === "edge-1")!.secret;
  const row = async () => (await handle.db.select().from(robotAccounts))[0];
  /** Our clock this long after the current secret was issued (the registry stamps it with the real clock). */
  const afterIssue = async (ms: number) => clock.set(new Date((await row()).secretIssuedAt.getTime() + ms));
  const sync = (ack = "", caller = satellite("edge-1"), accepts = true) =>
    clientAs(heartbeat, caller).sync({
      satellite: "edge-1",
      acceptsRobotCredentials: accepts,
      robotCredentialsAck: ack,
    });

  it("hands nothing over before the secret is due, and nothing to an admin or a satellite that cannot take it", async () => {
    await afterIssue(59_000);
    expect((await sync()).robotCredentials).toBeUndefined();
    await afterIssue(60_000);
    expect((await sync("", admin)).robotCredentials).toBeUndefined();
    expect((await sync("", satellite("edge-1"), false)).robotCredentials).toBeUndefined();
    expect(harborSecret()).toBe(enrolled);
  });

  it("rotates when due, keeps the held secret accepted, rotates afresh after a lost answer, and ends the window on the ack", async () => {
    const first = (await sync()).robotCredentials!;
    expect(first).toMatchObject({ username: "robot$edge-1", rotationId: expect.any(String) });
    expect(harborSecret()).toBe(first.password);
    let stored = await row();
    expect(await verifySecret(first.password, stored.secretHash)).toBe(true);
    expect(await verifySecret(enrolled, stored.previousSecretHash!)).toBe(true);
    expect(stored.pendingRotation).toBe(first.rotationId);

    // That answer was lost: the satellite still sends no ack (and still holds `enrolled`).
    const second = (await sync()).robotCredentials!;
    expect(second.password).not.toBe(first.password);
    expect(second.rotationId).not.toBe(first.rotationId);
    expect(harborSecret()).toBe(second.password);
    stored = await row();
    expect(await verifySecret(second.password, stored.secretHash)).toBe(true);
    expect(await verifySecret(enrolled, stored.previousSecretHash!)).toBe(true);

    // Saved and acknowledged: the old secret is no longer accepted, nothing more is handed over.
    expect((await sync(second.rotationId)).robotCredentials).toBeUndefined();
    stored = await row();
    expect(stored.previousSecretHash).toBeNull();
    expect(stored.pendingRotation).toBeNull();
    expect(JSON.stringify(stored)).not.toContain(second.password);
    await afterIssue(59_000);
    expect((await sync(second.rotationId)).robotCredentials).toBeUndefined();
    const rotations = (outcome: string) => m.sum("ground_control.robot.secret_rotations", { outcome });
    expect(await rotations("delivered")).toBe(1);
    expect(await rotations("redelivered")).toBe(1);
    expect(await rotations("confirmed")).toBe(1);
  });
});
