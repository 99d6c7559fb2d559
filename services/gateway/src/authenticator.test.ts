import { Code, type ConnectError } from "@connectrpc/connect";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configs, openMemoryDatabase, robotAccounts, satellites, type DatabaseHandle } from "@harbor-satellite/db";
import { createSecretChecker } from "@harbor-satellite/identity";
import { hashSecret, toConnectError, verifySecret } from "@harbor-satellite/rpc";
import { DEFAULT_ATTEMPT_POLICY } from "./auth/attempt-limits.js";
import { createAuthenticator, CREDENTIAL_CACHE_MS, ROBOT_RECHECK_MS } from "./authenticator.js";

const FAST = { ln: 10, r: 8, p: 1 };
const basic = (user: string, pass: string) =>
  new Headers({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });

describe("authenticator: remembered robot credentials", () => {
  let handle: DatabaseHandle;
  let t = 1_000_000;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    const [cfg] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    const [sat] = await handle.db
      .insert(satellites)
      .values({ name: "edge-1", region: "eu", configId: cfg.id })
      .returning();
    await handle.db.insert(robotAccounts).values({
      satelliteId: sat.id,
      robotName: "robot$edge-1",
      harborId: 7,
      secretHash: await hashSecret("first-Secret1", FAST),
      projects: ["satellite"],
    });
  });
  afterAll(async () => handle?.close());

  it("trusts a verified secret for several heartbeat intervals and drops it within a minute of rotation", async () => {
    const authenticate = createAuthenticator({ db: handle.db, now: () => t });
    expect(await authenticate(basic("robot$edge-1", "first-Secret1"))).toEqual({
      kind: "satellite",
      name: "edge-1",
      region: "eu",
      via: "robot",
    });
    await expect(authenticate(basic("robot$edge-1", "wrong"))).rejects.toThrow(/wrong username or password/);

    // Ground Control rotates the secret (another replica may have done it).
    await handle.db
      .update(robotAccounts)
      .set({ secretHash: await hashSecret("second-Secret2", FAST) })
      .where(eq(robotAccounts.robotName, "robot$edge-1"));
    t += ROBOT_RECHECK_MS / 2;
    expect((await authenticate(basic("robot$edge-1", "first-Secret1"))).kind).toBe("satellite");
    t += ROBOT_RECHECK_MS;
    await expect(authenticate(basic("robot$edge-1", "first-Secret1"))).rejects.toThrow(/wrong username or password/);
    expect((await authenticate(basic("robot$edge-1", "second-Secret2"))).kind).toBe("satellite");
  });

  it("accepts the replaced secret during a credential refresh until the satellite confirms, and only then refuses it", async () => {
    const authenticate = createAuthenticator({ db: handle.db, now: () => t });
    // A refresh delivered "third" and keeps the hash of "second", which the satellite still holds.
    await handle.db
      .update(robotAccounts)
      .set({
        secretHash: await hashSecret("third-Secret3", FAST),
        previousSecretHash: await hashSecret("second-Secret2", FAST),
        pendingRotation: "r1",
      })
      .where(eq(robotAccounts.robotName, "robot$edge-1"));
    t += CREDENTIAL_CACHE_MS + 1;
    expect((await authenticate(basic("robot$edge-1", "second-Secret2"))).kind).toBe("satellite");
    expect((await authenticate(basic("robot$edge-1", "third-Secret3"))).kind).toBe("satellite");
    await expect(authenticate(basic("robot$edge-1", "first-Secret1"))).rejects.toThrow(/wrong username or password/);
    // Confirmed: the old secret goes, also from the remembered credentials, within a recheck.
    await handle.db
      .update(robotAccounts)
      .set({ previousSecretHash: null, pendingRotation: null })
      .where(eq(robotAccounts.robotName, "robot$edge-1"));
    t += ROBOT_RECHECK_MS;
    await expect(authenticate(basic("robot$edge-1", "second-Secret2"))).rejects.toThrow(/wrong username or password/);
    expect((await authenticate(basic("robot$edge-1", "third-Secret3"))).kind).toBe("satellite");
    await handle.db
      .update(robotAccounts)
      .set({ secretHash: await hashSecret("second-Secret2", FAST) })
      .where(eq(robotAccounts.robotName, "robot$edge-1"));
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
        expect(authenticate.isPeerProcess(new Headers(authorization ? { authorization } : {})), authorization).toBe(
          false,
        );
      }
      // No internal token configured (one process serves everything): nobody is a peer process.
      expect(createAuthenticator({ db: handle.db }).isPeerProcess(new Headers({ authorization: "Bearer " }))).toBe(
        false,
      );
    } finally {
      await handle.close();
    }
  });
});

describe("authenticator: wrong robot secrets cost no scrypt beyond the limits", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    const [cfg] = await handle.db.insert(configs).values({ name: "default", config: {} }).returning();
    for (let i = 1; i <= 10; i++) {
      const [sat] = await handle.db
        .insert(satellites)
        .values({ name: `edge-${i}`, region: "eu", configId: cfg.id })
        .returning();
      await handle.db.insert(robotAccounts).values({
        satelliteId: sat.id,
        robotName: `robot$edge-${i}`,
        harborId: i,
        secretHash: await hashSecret(`right-Secret${i}`, FAST),
        projects: ["satellite"],
      });
    }
  });
  afterAll(async () => handle?.close());

  /** An authenticator on a frozen clock whose scrypt verifications are counted. */
  const counted = () => {
    const slow = { n: 0 };
    const secrets = createSecretChecker({
      verify: (secret, stored) => {
        slow.n += 1;
        return verifySecret(secret, stored);
      },
    });
    return { authenticate: createAuthenticator({ db: handle.db, secrets, now: () => 5_000_000 }), slow };
  };
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (e: unknown) => Code[toConnectError(e).code],
    );

  it("hashes at most the free failures of 300 concurrent wrong secrets from one address, and the right secret still works", async () => {
    const { authenticate, slow } = counted();
    // edge-2 authenticated before the attack, from the attacker's own (NAT) address.
    expect((await authenticate(basic("robot$edge-2", "right-Secret2"), undefined, "198.51.100.7")).kind).toBe(
      "satellite",
    );
    slow.n = 0;
    const codes = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        codeOf(authenticate(basic("robot$edge-1", `wrong-${i}`), undefined, "198.51.100.7")),
      ),
    );
    const unauthenticated = codes.filter((c) => c === "Unauthenticated").length;
    expect(unauthenticated).toBe(DEFAULT_ATTEMPT_POLICY.freeFailures);
    expect(codes.filter((c) => c === "ResourceExhausted")).toHaveLength(300 - unauthenticated);
    expect(slow.n).toBe(DEFAULT_ATTEMPT_POLICY.freeFailures);
    // Over the limit: refused with a hint, no hashing, even with the right secret from that address.
    const err = await authenticate(basic("robot$edge-1", "right-Secret1"), undefined, "198.51.100.7").catch(
      toConnectError,
    );
    expect(err).toMatchObject({ code: Code.ResourceExhausted });
    expect((err as ConnectError).rawMessage).toMatch(/try again in \d+ s/);
    expect(slow.n).toBe(DEFAULT_ATTEMPT_POLICY.freeFailures);
    // The satellite at another address, and the one already verified at the attacker's, carry on.
    expect((await authenticate(basic("robot$edge-1", "right-Secret1"), undefined, "192.0.2.44")).kind).toBe(
      "satellite",
    );
    expect((await authenticate(basic("robot$edge-2", "right-Secret2"), undefined, "198.51.100.7")).kind).toBe(
      "satellite",
    );
    expect(slow.n).toBe(DEFAULT_ATTEMPT_POLICY.freeFailures + 1);
  });

  it("bounds hashing per address across predictable robot names", async () => {
    const { authenticate, slow } = counted();
    const attempts = [];
    for (let round = 0; round < 20; round++)
      for (let i = 1; i <= 10; i++)
        attempts.push(codeOf(authenticate(basic(`robot$edge-${i}`, `guess-${round}`), undefined, "2001:db8:66::1")));
    await Promise.all(attempts);
    expect(slow.n).toBe(DEFAULT_ATTEMPT_POLICY.sourceFailuresPerMinute);
    // Another address of the same /64 shares that budget.
    expect(await codeOf(authenticate(basic("robot$edge-3", "guess-x"), undefined, "2001:db8:66::2"))).toBe(
      "ResourceExhausted",
    );
    expect(slow.n).toBe(DEFAULT_ATTEMPT_POLICY.sourceFailuresPerMinute);
  });

  it("refuses a secret just proven wrong without hashing again, uncounted, and takes a rotated secret at once", async () => {
    const { authenticate, slow } = counted();
    const codes = [];
    for (let i = 0; i < 50; i++)
      codes.push(await codeOf(authenticate(basic("robot$edge-4", "stale-Secret"), undefined, "192.0.2.50")));
    // Every answer is Unauthenticated (a satellite with a stale secret does not back itself off); one hash.
    expect(codes).toEqual(Array(50).fill("Unauthenticated"));
    expect(slow.n).toBe(1);
    // The right secret is never refused because of the cache.
    expect((await authenticate(basic("robot$edge-4", "right-Secret4"), undefined, "192.0.2.50")).kind).toBe(
      "satellite",
    );
    // Ground Control rotates the secret to exactly the one refused before: it works at once.
    await handle.db
      .update(robotAccounts)
      .set({ secretHash: await hashSecret("stale-Secret", FAST) })
      .where(eq(robotAccounts.robotName, "robot$edge-4"));
    expect((await authenticate(basic("robot$edge-4", "stale-Secret"), undefined, "192.0.2.50")).kind).toBe("satellite");
    expect(slow.n).toBe(3);
  });

  it("queues a burst of first-time verifications from one address (a fleet behind NAT after a restart) instead of refusing it", async () => {
    const handleBurst = await openMemoryDatabase();
    try {
      const [cfg] = await handleBurst.db.insert(configs).values({ name: "default", config: {} }).returning();
      const secretHash = await hashSecret("fleet-Secret", FAST);
      for (let i = 0; i < 100; i++) {
        const [sat] = await handleBurst.db
          .insert(satellites)
          .values({ name: `nat-${i}`, region: "eu", configId: cfg.id })
          .returning();
        await handleBurst.db.insert(robotAccounts).values({
          satelliteId: sat.id,
          robotName: `robot$nat-${i}`,
          harborId: 100 + i,
          secretHash,
          projects: ["satellite"],
        });
      }
      const authenticate = createAuthenticator({ db: handleBurst.db, now: () => 5_000_000 });
      const codes = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          codeOf(authenticate(basic(`robot$nat-${i}`, "fleet-Secret"), undefined, "203.0.113.9")),
        ),
      );
      // More than the per-address budget at once, all right: all verified, none refused.
      expect(codes).toEqual(Array(100).fill("ok"));
    } finally {
      await handleBurst.close();
    }
  });

  it("shares one check between concurrent requests with the same credentials", async () => {
    const { authenticate, slow } = counted();
    const callers = await Promise.all(
      Array.from({ length: 20 }, () => authenticate(basic("robot$edge-5", "right-Secret5"), undefined, "192.0.2.60")),
    );
    expect(callers.every((c) => c.kind === "satellite")).toBe(true);
    expect(slow.n).toBe(1);
  });
});
