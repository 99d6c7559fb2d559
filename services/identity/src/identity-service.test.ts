import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { errorMappingInterceptor } from "@harbor-satellite/rpc";
import { ensureAdminUser, findSessionUser } from "./index.js";
import { createIdentityModule } from "./index.js";

describe("identity service: admin login", () => {
  let handle: DatabaseHandle;
  let client: ReturnType<typeof createClient<typeof IdentityService>>;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    expect(await ensureAdminUser(handle.db, "correct-horse")).toBe("created");
    expect(await ensureAdminUser(handle.db, "other-password")).toBe("exists");
    const mod = createIdentityModule({ db: handle.db });
    client = createClient(IdentityService, createRouterTransport(mod.routes, { router: { interceptors: [errorMappingInterceptor()] } }));
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

  it("locks the account after five failures, even for the right password", async () => {
    for (let i = 0; i < 5; i++) await code(client.login({ username: "admin", password: `bad-${i}-pass` }));
    const err = await client.login({ username: "admin", password: "correct-horse" }).catch((e) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).rawMessage).toMatch(/try again in \d+ s/);
  });

  it("refuses a first start without ADMIN_PASSWORD", async () => {
    const fresh = await openMemoryDatabase();
    await expect(ensureAdminUser(fresh.db, undefined)).rejects.toThrow(/ADMIN_PASSWORD/);
    await expect(ensureAdminUser(fresh.db, "short")).rejects.toThrow(/at least 8/);
    await fresh.close();
  });
});
