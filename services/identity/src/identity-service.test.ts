import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { openMemoryDatabase, users, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor, verifySecret } from "@harbor-satellite/rpc";
import { createSecretChecker, ensureAdminUser, findSessionUser } from "./index.js";
import { createIdentityModule } from "./index.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

describe("identity service: admin login", () => {
  let handle: DatabaseHandle;
  let client: ReturnType<typeof createClient<typeof IdentityService>>;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    expect(await ensureAdminUser(handle.db, "correct-horse", FAST)).toBe("created");
    expect(await ensureAdminUser(handle.db, "other-password")).toBe("exists");
    const mod = createIdentityModule({ db: handle.db });
    client = createClient(
      IdentityService,
      createRouterTransport(mod.routes, { router: { interceptors: [errorMappingInterceptor()] } }),
    );
  });
  afterAll(async () => handle?.close());

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return ConnectError.from(e).code;
    }
    return undefined;
  };

  it("issues a session for the right password and ends it on logout", async () => {
    const res = await client.login({ username: "admin", password: "correct-horse" });
    expect(res.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await findSessionUser(handle.db, res.sessionToken)).toEqual({ username: "admin" });
    await client.logout({}, { headers: { authorization: `Bearer ${res.sessionToken}` } });
    expect(await findSessionUser(handle.db, res.sessionToken)).toBeUndefined();
  });

  it("answers Unauthenticated for a wrong password or unknown user, InvalidArgument for missing fields", async () => {
    expect(await code(client.login({ username: "admin", password: "nope-nope" }))).toBe(Code.Unauthenticated);
    expect(await code(client.login({ username: "mallory", password: "whatever1" }))).toBe(Code.Unauthenticated);
    expect(await code(client.login({ username: "admin", password: "" }))).toBe(Code.InvalidArgument);
  });

  it("answers Unauthenticated, not a database error, for a username PostgreSQL cannot hold (the fuzzer's NUL)", async () => {
    for (const username of ["\u0000", "ad\u0000min", "lone \ud83d"])
      expect(await code(client.login({ username, password: "correct-horse" }))).toBe(Code.Unauthenticated);
  });

  it("keeps no failure counter (the gateway throttles): the right password works after many wrong ones, and a repeated wrong one is not hashed again", async () => {
    const slow = { n: 0 };
    const secrets = createSecretChecker({
      verify: (secret, stored) => {
        slow.n += 1;
        return verifySecret(secret, stored);
      },
    });
    const own = createClient(
      IdentityService,
      createRouterTransport(createIdentityModule({ db: handle.db, secrets }).routes, {
        router: { interceptors: [errorMappingInterceptor()] },
      }),
    );
    const wrong = await Promise.all(
      Array.from({ length: 8 }, (_, i) => code(own.login({ username: "admin", password: `bad-${i}-pass` }))),
    );
    expect(wrong).toEqual(Array(8).fill(Code.Unauthenticated));
    expect(slow.n).toBe(8);
    expect(await code(own.login({ username: "admin", password: "bad-0-pass" }))).toBe(Code.Unauthenticated);
    expect(slow.n).toBe(8);
    expect((await own.login({ username: "admin", password: "correct-horse" })).sessionToken).toHaveLength(43);
    const [row] = await handle.db.select().from(users);
    expect(row).toMatchObject({ failedLogins: 0, lockedUntil: null });
  });

  it("refuses a first start without ADMIN_PASSWORD", async () => {
    const fresh = await openMemoryDatabase();
    await expect(ensureAdminUser(fresh.db, undefined)).rejects.toThrow(/ADMIN_PASSWORD/);
    await expect(ensureAdminUser(fresh.db, "short")).rejects.toThrow(/at least 8/);
    await fresh.close();
  });
});
