import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { freePort } from "@harbor-satellite/testkit";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarborClient } from "./index.js";

describe("Harbor call metrics", () => {
  let emu: HarborEmulator;
  let m: TestMetrics;

  beforeAll(async () => {
    m = startTestMetrics();
    emu = await startHarborEmulator({ adminUser: "admin", adminPassword: "Adm1n-pass" });
  });
  afterAll(async () => {
    await emu?.stop();
    await m?.stop();
  });

  it("records http.client.request.duration per operation, with error.type for failures only", async () => {
    const harbor = createHarborClient({ url: emu.url, username: "admin", password: "Adm1n-pass" });
    await harbor.health();
    expect(await harbor.projectExists("nope")).toBe(false);
    await expect(harbor.getRobot(987_654)).rejects.toThrow();
    const port = Number(new URL(emu.url).port);
    const ok = await m.points("http.client.request.duration", { "harbor.operation": "getHealth" });
    expect(ok).toHaveLength(1);
    expect(ok[0].attributes).toEqual({
      "harbor.operation": "getHealth",
      "http.request.method": "GET",
      "url.template": "/api/v2.0/health",
      "server.address": "127.0.0.1",
      "server.port": port,
      "http.response.status_code": 200,
    });
    // A 404 the caller accepts (HEAD: absent) is an answer, not an error.
    const [absent] = await m.points("http.client.request.duration", { "harbor.operation": "headProject" });
    expect(absent.attributes).toMatchObject({ "http.response.status_code": 404 });
    expect(absent.attributes["error.type"]).toBeUndefined();
    const [failed] = await m.points("http.client.request.duration", { "harbor.operation": "GetRobotByID" });
    expect(failed.attributes).toMatchObject({ "http.response.status_code": 404, "error.type": "404" });

    const down = createHarborClient({ url: `http://127.0.0.1:${await freePort()}`, username: "admin", password: "x" });
    await expect(down.health()).rejects.toThrow();
    const [refused] = await m.points("http.client.request.duration", {
      "harbor.operation": "getHealth",
      "error.type": "ECONNREFUSED",
    });
    expect(refused.attributes["http.response.status_code"]).toBeUndefined();
    expect(await m.histogram("http.client.request.duration", { "harbor.operation": "getHealth" })).toMatchObject({
      count: 2,
    });
  });
});
