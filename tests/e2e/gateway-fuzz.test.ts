// Hardening (issue 8): the gateway fuzzer (services/gateway/src/fuzz) against a real
// `ground-control` process, with a smaller budget than the in-process run: random and hostile
// requests over HTTP/1.1, h2c and hand-written HTTP/2 frames at every rpc, the REST routes, the
// state registry and health. The process must stay up, answer every request validly, never with
// a bug caught by its guard (a 500), and serve a normal Login and health check afterwards. The
// seed is printed first; FUZZ_SEED=<seed> replays a run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeFinding, fuzzSeed, runFuzz, summarize } from "../../services/gateway/src/fuzz/run.js";
import { adminLogin, health, startGatewayProcess, type GatewayProcess } from "./gateway-process.js";

const ADMIN_PASSWORD = "e2e-fuzz-password";

describe("ground-control under the fuzzer", () => {
  const seed = fuzzSeed();
  let gc: GatewayProcess;
  beforeAll(async () => {
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const flags = [
      "--first-byte-timeout-ms",
      "2000",
      "--header-timeout-ms",
      "2000",
      "--request-timeout-ms",
      "3000",
      "--idle-timeout-ms",
      "3000",
    ];
    gc = await startGatewayProcess({ fileLimit: 1024, args: flags, adminPassword: ADMIN_PASSWORD });
  });
  afterAll(async () => gc?.stop());

  it("stays up, answers every request validly and never with a 500, and serves afterwards", async () => {
    const report = await runFuzz({
      target: { host: "127.0.0.1", port: gc.port },
      authority: `127.0.0.1:${gc.port}`,
      adminBasic: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`,
      seed,
      budgetMs: 8_000,
      boundMs: 8_000,
      alive: gc.alive,
    });
    console.log(summarize(report));
    for (const f of [...report.broken, ...report.internal]) console.log(describeFinding(seed, f));

    expect(report.died, gc.output()).toBeUndefined();
    expect(gc.alive(), gc.output()).toBe(true);
    // From another address: the fuzzer's wrong credentials rightly spent 127.0.0.1's sign-in budget.
    expect(await adminLogin(gc.url, ADMIN_PASSWORD, "127.0.0.6")).toHaveLength(43);
    expect(await health(gc.url)).toBe(200);
    expect(report.cases).toBeGreaterThan(50);
    expect(report.broken.map((f) => describeFinding(seed, f))).toEqual([]);
    expect(report.internal.map((f) => describeFinding(seed, f))).toEqual([]);
  });
});
