// Login and Basic credential limits through the gateway's real serving layers and the real
// identity service on PGlite: clients bind to 127.0.0.2 (the attacker) or 127.0.0.1 (the admin),
// so the server sees two source addresses; scrypt verifications are counted.
import { Agent, request } from "node:http";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { createIdentityModule, createSecretChecker, ensureAdminUser } from "@harbor-satellite/identity";
import { errorMappingInterceptor, verifySecret } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import { DEFAULT_ATTEMPT_POLICY } from "./auth/attempt-limits.js";
import { createAuthenticator } from "./authenticator.js";
import { authorizationInterceptor } from "./authorization.js";
import { listenRpc, startTestGroundControl } from "./test-support.js";
import type { Listener } from "./transport/listener.js";

/** scrypt at N = 2^10 for the secrets these tests store (production: 2^15). */
const FAST = { ln: 10, r: 8, p: 1 };

const ADMIN_PASSWORD = "correct-horse-battery";
const ATTACKER = "127.0.0.2";
const ADMIN_HOST = "127.0.0.1";
const logger = createLogger({ name: "authorization-test", level: "silent" });

const outcome = (p: Promise<unknown>): Promise<"ok" | ConnectError> =>
  p.then(
    () => "ok" as const,
    (e: unknown) => ConnectError.from(e),
  );
const codeName = (o: unknown) => (o === "ok" ? "ok" : Code[(o as ConnectError).code]);

describe("authorization: Login and admin Basic credentials under attempt limits", () => {
  let handle: DatabaseHandle;
  let listener: Listener;
  const slow = { n: 0 };
  let t = 1_000_000;

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    await ensureAdminUser(handle.db, ADMIN_PASSWORD, FAST);
    const secrets = createSecretChecker({
      verify: (secret, stored) => {
        slow.n += 1;
        return verifySecret(secret, stored);
      },
    });
    const authenticate = createAuthenticator({ db: handle.db, secrets, now: () => t });
    const identity = createIdentityModule({ db: handle.db, secrets });
    ({ listener } = await listenRpc({
      routes: identity.routes,
      interceptors: [errorMappingInterceptor(), authorizationInterceptor(authenticate)],
      logger,
    }));
  });
  afterAll(async () => {
    await listener?.close();
    await handle?.close();
  });

  const clientFrom = (localAddress: string) =>
    createClient(
      IdentityService,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${listener.port}`,
        httpVersion: "1.1",
        nodeOptions: { agent: new Agent({ keepAlive: true, localAddress }) },
      }),
    );

  it("hashes at most the limit of 60 concurrent wrong admin passwords; the rest are ResourceExhausted with a retry hint", async () => {
    slow.n = 0;
    const attacker = clientFrom(ATTACKER);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        outcome(attacker.login({ username: "admin", password: `wrong-password-${i}` })),
      ),
    );
    const codes = results.map(codeName);
    expect(codes.filter((c) => c === "Unauthenticated")).toHaveLength(DEFAULT_ATTEMPT_POLICY.freeFailures);
    expect(codes.filter((c) => c === "ResourceExhausted")).toHaveLength(60 - DEFAULT_ATTEMPT_POLICY.freeFailures);
    expect(slow.n).toBe(DEFAULT_ATTEMPT_POLICY.freeFailures);
    const exhausted = results.find((r): r is ConnectError => r !== "ok" && r.code === Code.ResourceExhausted);
    expect(exhausted?.rawMessage).toMatch(/try again in \d+ s/);
  });

  it("lets the admin log in from another address while the attacker's is backed off, for Login and Basic alike", async () => {
    const attacker = clientFrom(ATTACKER);
    const admin = clientFrom(ADMIN_HOST);
    slow.n = 0;
    // The attacker keeps going, with Login and with admin Basic credentials on an admin rpc: no hashing.
    const basic = { authorization: `Basic ${Buffer.from("admin:another-guess").toString("base64")}` };
    expect(codeName(await outcome(attacker.login({ username: "admin", password: "yet-another-guess" })))).toBe(
      "ResourceExhausted",
    );
    expect(codeName(await outcome(attacker.issueZtrToken({ satellite: "edge-1" }, { headers: basic })))).toBe(
      "ResourceExhausted",
    );
    // Even the right password is refused at the attacker's address for now...
    expect(codeName(await outcome(attacker.login({ username: "admin", password: ADMIN_PASSWORD })))).toBe(
      "ResourceExhausted",
    );
    expect(slow.n).toBe(0);
    // ...but the admin at another address logs in, a typo included.
    expect(codeName(await outcome(admin.login({ username: "admin", password: "typo-password" })))).toBe(
      "Unauthenticated",
    );
    const { sessionToken } = await admin.login({ username: "admin", password: ADMIN_PASSWORD });
    expect(sessionToken).toHaveLength(43);
    const adminBasic = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` };
    expect(codeName(await outcome(admin.issueZtrToken({ satellite: "edge-1" }, { headers: adminBasic })))).toBe(
      "NotFound",
    );
    expect(slow.n).toBe(3);
    // Once the backoff has passed the attacker's address may try again, once.
    t += 60_000;
    expect(codeName(await outcome(attacker.login({ username: "admin", password: "after-the-wait" })))).toBe(
      "Unauthenticated",
    );
    expect(codeName(await outcome(attacker.login({ username: "admin", password: "and-again" })))).toBe(
      "ResourceExhausted",
    );
  });
});

describe("authorization: ZTR enrolment over rpc shares the REST route's budget per address", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  beforeAll(async () => {
    gc = await startTestGroundControl();
  });
  afterAll(async () => gc?.close());

  const restZtr = (localAddress: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${gc.url}/satellites/ztr/${"0".repeat(32)}`, { localAddress }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });

  it("limits TokenZtr and SpiffeZtr over rpc after the budget, counting REST calls from the same address", async () => {
    const client = (localAddress: string) =>
      createClient(
        IdentityService,
        createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1", nodeOptions: { localAddress } }),
      );
    const attacker = client(ATTACKER);
    // Ten per minute per address: five through REST, five through the rpcs (neither refused).
    for (let i = 0; i < 5; i++) expect(await restZtr(ATTACKER)).not.toBe(429);
    for (let i = 0; i < 4; i++)
      expect(codeName(await outcome(attacker.tokenZtr({ token: "0".repeat(32) })))).not.toBe("ResourceExhausted");
    expect(codeName(await outcome(attacker.spiffeZtr({})))).not.toBe("ResourceExhausted");
    // The budget is spent at either door.
    const limited = await outcome(attacker.tokenZtr({ token: "1".repeat(32) }));
    expect(codeName(limited)).toBe("ResourceExhausted");
    expect((limited as ConnectError).rawMessage).toMatch(/enrolment attempts from your address: try again in \d+ s/);
    expect(codeName(await outcome(attacker.spiffeZtr({})))).toBe("ResourceExhausted");
    expect(await restZtr(ATTACKER)).toBe(429);
    // Another address has its own budget.
    expect(codeName(await outcome(client(ADMIN_HOST).tokenZtr({ token: "0".repeat(32) })))).not.toBe(
      "ResourceExhausted",
    );
    expect(await restZtr(ADMIN_HOST)).not.toBe(429);
  });
});
