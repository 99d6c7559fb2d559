import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configs, openMemoryDatabase, robotAccounts, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { hashSecret } from "@harbor-satellite/rpc";
import { createAuthenticator, CREDENTIAL_CACHE_MS, ROBOT_RECHECK_MS } from "./authenticator.js";

const FAST = { ln: 10, r: 8, p: 1 };
const basic = (user: string, pass: string) => new Headers({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });

describe("authenticator: remembered robot credentials", () => {
  let handle: DatabaseHandle;
  let t = 1_000_000;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    const [cfg] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    const [sat] = await handle.db.insert(satellites).values({ name: "edge-1", region: "eu", configId: cfg.id }).returning();
    await handle.db.insert(robotAccounts).values({ satelliteId: sat.id, robotName: "robot$edge-1", harborId: 7, secretHash: await hashSecret("first-Secret1", FAST), projects: ["satellite"] });
  });
  afterAll(async () => handle?.close());

  it("trusts a verified secret for several heartbeat intervals and drops it within a minute of rotation", async () => {
    const authenticate = createAuthenticator({ db: handle.db, now: () => t });
    expect(await authenticate(basic("robot$edge-1", "first-Secret1"))).toEqual({ kind: "satellite", name: "edge-1", region: "eu", via: "robot" });
    await expect(authenticate(basic("robot$edge-1", "wrong"))).rejects.toThrow(/wrong username or password/);

    // Ground Control rotates the secret (another replica may have done it).
    await handle.db.update(robotAccounts).set({ secretHash: await hashSecret("second-Secret2", FAST) }).where(eq(robotAccounts.robotName, "robot$edge-1"));
    t += ROBOT_RECHECK_MS / 2;
    expect((await authenticate(basic("robot$edge-1", "first-Secret1"))).kind).toBe("satellite");
    t += ROBOT_RECHECK_MS;
    await expect(authenticate(basic("robot$edge-1", "first-Secret1"))).rejects.toThrow(/wrong username or password/);
    expect((await authenticate(basic("robot$edge-1", "second-Secret2"))).kind).toBe("satellite");
  });

  it("forgets a credential after the cache lifetime even without rotation", async () => {
    const authenticate = createAuthenticator({ db: handle.db, now: () => t });
    expect((await authenticate(basic("robot$edge-1", "second-Secret2"))).kind).toBe("satellite");
    await handle.db.delete(robotAccounts);
    t += CREDENTIAL_CACHE_MS + 1;
    await expect(authenticate(basic("robot$edge-1", "second-Secret2"))).rejects.toThrow(/wrong username or password/);
  });
});

describe("authenticator: requests from other Ground Control processes", () => {
  it("believes forwarded headers only from a holder of the internal token", async () => {
    const handle = await openMemoryDatabase();
    try {
      const authenticate = createAuthenticator({ db: handle.db, internalToken: "internal-0123456789" });
      expect(authenticate.isPeerProcess(new Headers({ authorization: "Bearer internal-0123456789" }))).toBe(true);
      expect(authenticate.isPeerProcess(new Headers({ authorization: "bearer internal-0123456789" }))).toBe(true);
      for (const authorization of ["Bearer internal-0123456788", "Bearer ", "Basic aW50ZXJuYWw=", ""]) {
        expect(authenticate.isPeerProcess(new Headers(authorization ? { authorization } : {})), authorization).toBe(false);
      }
      // No internal token configured (one process serves everything): nobody is a peer process.
      expect(createAuthenticator({ db: handle.db }).isPeerProcess(new Headers({ authorization: "Bearer " }))).toBe(false);
    } finally {
      await handle.close();
    }
  });
});
