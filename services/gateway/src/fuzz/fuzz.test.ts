// Fuzzes Ground Control's one port in-process: random and hostile requests over HTTP/1.1 (raw
// sockets), h2c (Node's client) and hand-written HTTP/2 frames, at the rpcs, the original's REST
// routes, the state registry (/v2/, with and without Basic credentials) and health. The seed is
// printed first; FUZZ_SEED=<seed> replays a run. It fuzzes for FUZZ_MS (default 4 s, enough for
// well over a thousand cases; FUZZ_MS=60000 for a longer run). The same fuzzer runs against the
// real process in tests/e2e/gateway-fuzz.test.ts.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { afterAll, describe, expect, it } from "vitest";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "../test-support.js";
import { describeFinding, fuzzSeed, runFuzz, summarize } from "./run.js";

/** Short server timeouts, so requests the fuzzer leaves unfinished are cut well within the bound. */
const LIMITS = { firstByteMs: 2_000, headersMs: 2_000, requestMs: 3_000, idleMs: 3_000 };
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 4_000);
const BOUND_MS = 8_000;

describe("fuzz: Ground Control's port", () => {
  let gc: Awaited<ReturnType<typeof startTestGroundControl>> | undefined;
  afterAll(async () => gc?.close());

  it(
    "answers every request validly, never with a bug caught by the guard, and still serves afterwards",
    async () => {
      const seed = fuzzSeed();
      console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
      gc = await startTestGroundControl({ limits: LIMITS });
      const report = await runFuzz({
        target: { host: "127.0.0.1", port: gc.port },
        authority: `127.0.0.1:${gc.port}`,
        adminBasic: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString("base64")}`,
        seed,
        budgetMs: BUDGET_MS,
        boundMs: BOUND_MS,
      });
      console.log(summarize(report));
      for (const f of [...report.broken, ...report.internal]) console.log(describeFinding(seed, f));

      // Still serving. From another address: the fuzzer's wrong credentials have rightly used up
      // 127.0.0.1's sign-in budget (auth/attempt-limits.ts).
      const transport = createConnectTransport({
        baseUrl: gc.url,
        httpVersion: "1.1",
        nodeOptions: { localAddress: "127.0.0.5" },
      });
      const login = await createClient(IdentityService, transport).login({
        username: "admin",
        password: TEST_ADMIN_PASSWORD,
      });
      expect(login.sessionToken).toHaveLength(43);
      expect((await fetch(`${gc.url}/healthz`)).status).toBe(200);

      expect(report.cases).toBeGreaterThan(100);
      expect(report.broken.map((f) => describeFinding(seed, f))).toEqual([]);
      expect(report.internal.map((f) => describeFinding(seed, f))).toEqual([]);
    },
    BUDGET_MS + 80_000,
  );
});
