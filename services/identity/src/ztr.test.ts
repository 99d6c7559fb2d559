// Token ZTR through the identity service's client, with the real registry service against the
// Harbor emulator's REST API (registry pushes are not needed for enrolment).
import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import {
  configs,
  openMemoryDatabase,
  robotAccounts,
  satellites,
  ztrTokens,
  type DatabaseHandle,
} from "@harbor-satellite/db";
import { createRegistryModule } from "@harbor-satellite/registry";
import { errorMappingInterceptor, verifySecret } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { createIdentityModule } from "./index.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const ADMIN = { username: "admin", password: "Harbor12345" };
const GC_URL = "http://10.0.0.5:8080";
const logger = createLogger({ name: "ztr-test", level: "silent" });

async function codeOf(p: Promise<unknown>): Promise<Code | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
}

describe("token ZTR", () => {
  let emu: HarborEmulator;
  let handle: DatabaseHandle;
  let identity: Client<typeof IdentityService>;
  let registry: Client<typeof RegistryService>;

  beforeAll(async () => {
    [emu, handle] = await Promise.all([
      startHarborEmulator({ adminUser: ADMIN.username, adminPassword: ADMIN.password }),
      openMemoryDatabase(),
    ]);
    const transport = (routes: Parameters<typeof createRouterTransport>[0]) =>
      createRouterTransport(routes, { router: { interceptors: [errorMappingInterceptor()] } });
    registry = createClient(
      RegistryService,
      transport(
        createRegistryModule({ db: handle.db, harbor: { url: emu.url, ...ADMIN }, logger, secretHash: FAST }).routes,
      ),
    );
    identity = createClient(
      IdentityService,
      transport(
        createIdentityModule({ db: handle.db, registry, harborUrl: emu.url, publicUrl: GC_URL, robotWaitMs: 300 })
          .routes,
      ),
    );
    const [{ id: configId }] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    await handle.db.insert(satellites).values([
      { name: "edge-1", configId },
      { name: "edge-2", configId },
    ]);
    await registry.ensureRobot({ satellite: "edge-1", projects: [] });
  });
  afterAll(async () => {
    await handle?.close();
    await emu?.stop();
  });

  it("enrols once with a token: fresh robot credentials and the state URL; only the secret's hash is kept", async () => {
    const { token } = await identity.issueZtrToken({ satellite: "edge-1" });
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const [stored] = await handle.db.select().from(ztrTokens);
    expect(stored.tokenHash).not.toContain(token);
    const { stateConfig } = await identity.tokenZtr({ token });
    expect(stateConfig).toMatchObject({
      satellite: "edge-1",
      // The satellite state is Ground Control's to serve; the robot also pulls from Harbor.
      stateUrl: `${GC_URL}/satellite/satellite-state/edge-1/state:latest`,
      registryUrl: emu.url,
      auth: { url: emu.url, username: "robot$edge-1" },
    });
    const robot = [...emu.state.robots.values()].find((r) => r.name === "edge-1");
    expect(stateConfig?.auth?.password).toBe(robot?.secret);
    const [row] = await handle.db.select().from(robotAccounts);
    expect(row.secretHash).not.toContain(stateConfig!.auth!.password);
    expect(await verifySecret(stateConfig!.auth!.password, row.secretHash)).toBe(true);
    expect(await codeOf(identity.tokenZtr({ token }))).toBe(Code.Unauthenticated);
  });

  it("lets exactly one of two concurrent uses of a token succeed", async () => {
    const { token } = await identity.issueZtrToken({ satellite: "edge-1" });
    const outcomes = await Promise.all(
      [identity.tokenZtr({ token }), identity.tokenZtr({ token })].map((p) =>
        p.then(
          () => "ok",
          (e) => ConnectError.from(e).code,
        ),
      ),
    );
    expect(outcomes.sort()).toEqual([Code.Unauthenticated, "ok"].sort());
  });

  it("rejects expired, unknown and malformed tokens, and tokens revoked by a newer one", async () => {
    const { token: old } = await identity.issueZtrToken({ satellite: "edge-1" });
    const { token: fresh } = await identity.issueZtrToken({ satellite: "edge-1" });
    expect(await codeOf(identity.tokenZtr({ token: old }))).toBe(Code.Unauthenticated);
    await handle.db.update(ztrTokens).set({ expiresAt: new Date(Date.now() - 1000) });
    expect(await codeOf(identity.tokenZtr({ token: fresh }))).toBe(Code.Unauthenticated);
    expect(await codeOf(identity.tokenZtr({ token: "0".repeat(32) }))).toBe(Code.Unauthenticated);
    expect(await codeOf(identity.tokenZtr({ token: "not-a-token" }))).toBe(Code.Unauthenticated);
  });

  it("keeps the token usable when enrolment fails, and explains", async () => {
    const { token } = await identity.issueZtrToken({ satellite: "edge-2" }); // edge-2 has no robot yet
    const err = await identity.tokenZtr({ token }).catch((e) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.Unavailable });
    expect((err as ConnectError).rawMessage).toMatch(/not ready yet/);
    await registry.ensureRobot({ satellite: "edge-2", projects: [] });
    const { stateConfig } = await identity.tokenZtr({ token });
    expect(stateConfig?.auth?.username).toBe("robot$edge-2");
  });

  it("validates token requests", async () => {
    expect(await codeOf(identity.issueZtrToken({ satellite: "nope" }))).toBe(Code.NotFound);
    expect(await codeOf(identity.issueZtrToken({ satellite: "Bad Name" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(identity.issueZtrToken({ satellite: "edge-1", ttlSeconds: 10n ** 9n }))).toBe(
      Code.InvalidArgument,
    );
    const [sat] = await handle.db.select().from(satellites).where(eq(satellites.name, "edge-1"));
    expect(sat).toBeDefined();
  });
});
