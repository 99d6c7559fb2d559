import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { startHarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { watchHarbor } from "./harbor-health.js";
import { startTestGroundControl } from "./test-support.js";

const HARBOR = { username: "admin", password: "Harbor12345" };

describe("watchHarbor", () => {
  it("logs a change once, however often it is checked, and says when Harbor is back", async () => {
    const lines: string[] = [];
    const logger = {
      warn: (_f: unknown, msg: string) => lines.push(`warn ${msg}`),
      info: (msg: string) => lines.push(`info ${msg}`),
    };
    let answer: () => Promise<{ healthy: boolean; harborUrl: string; problem: string }> = async () => {
      throw new ConnectError("connect ECONNREFUSED 10.0.0.9:443", Code.Unavailable);
    };
    const registry = () => ({ getRegistryInfo: () => answer() }) as unknown as Client<typeof RegistryService>;
    const watcher = watchHarbor({ registry, logger: logger as never, intervalMs: 60_000 });
    try {
      for (let i = 0; i < 5; i++) await watcher.check();
      expect(watcher.current()).toMatchObject({ status: "unreachable", detail: "connect ECONNREFUSED 10.0.0.9:443" });
      answer = async () => ({ healthy: true, harborUrl: "https://harbor.example.com", problem: "" });
      await watcher.check();
      await watcher.check();
      expect(watcher.current().status).toBe("ok");
      expect(lines).toEqual(["warn Harbor is not usable", "info Harbor is reachable and healthy again"]);
    } finally {
      watcher.stop();
    }
  });
});

describe("/healthz reports Harbor", () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it("says Harbor is not configured and what to set, while staying 200", async () => {
    const gc = await startTestGroundControl();
    stops.push(() => gc.close());
    let body: { status: string; harbor?: { status: string; detail?: string } } = { status: "" };
    for (let i = 0; i < 50 && body.harbor?.status !== "not_configured"; i++) {
      const res = await fetch(`${gc.url}/healthz`);
      expect(res.status).toBe(200);
      body = (await res.json()) as typeof body;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ status: "healthy", database: "ok", harbor: { status: "not_configured" } });
    expect(body.harbor?.detail).toMatch(/set HARBOR_URL, HARBOR_USERNAME and HARBOR_PASSWORD/);
  });

  it("says Harbor is reachable, then unreachable once it stops", async () => {
    const emu = await startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password });
    const gc = await startTestGroundControl(
      {},
      { HARBOR_URL: emu.url, HARBOR_USERNAME: HARBOR.username, HARBOR_PASSWORD: HARBOR.password },
    );
    stops.push(() => gc.close());
    const harborStatus = async () =>
      ((await (await fetch(`${gc.url}/healthz`)).json()) as { harbor: { status: string } }).harbor.status;
    let status = await harborStatus();
    for (let i = 0; i < 50 && status === "unknown"; i++, status = await harborStatus())
      await new Promise((r) => setTimeout(r, 50));
    expect(["ok", "unhealthy"]).toContain(status);
    await emu.stop();
    // A health request on an answer older than a few seconds starts a fresh check: the clock
    // (Date only; timers stay real) moves past that instead of the test waiting it out.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 6_000);
      for (let i = 0; i < 100 && status !== "unreachable"; i++, status = await harborStatus())
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      vi.useRealTimers();
    }
    expect(status).toBe("unreachable");
  });
});
