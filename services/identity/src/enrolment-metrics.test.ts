import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnauthenticatedError, UnavailableError } from "@harbor-satellite/rpc";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { countedEnrolment } from "./enrolment-metrics.js";

describe("ZTR enrolment metrics", () => {
  let m: TestMetrics;
  beforeAll(() => {
    m = startTestMetrics();
  });
  afterAll(() => m.stop());

  it("counts enrolments by mode and outcome, the refusal's code as the outcome", async () => {
    const token = countedEnrolment("token", async (ok: boolean) => {
      if (!ok) throw new UnauthenticatedError("ZTR token is unknown");
      return "config";
    });
    const spiffe = countedEnrolment("spiffe", async () => Promise.reject(new UnavailableError("Harbor is down")));
    expect(await token(true)).toBe("config");
    await expect(token(false)).rejects.toThrow("unknown");
    await expect(token(false)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(spiffe()).rejects.toThrow("Harbor");
    expect(await m.sum("ground_control.ztr.enrolments", { "ztr.mode": "token", outcome: "success" })).toBe(1);
    expect(await m.sum("ground_control.ztr.enrolments", { "ztr.mode": "token", outcome: "unauthenticated" })).toBe(2);
    expect(await m.sum("ground_control.ztr.enrolments", { "ztr.mode": "spiffe", outcome: "unavailable" })).toBe(1);
  });
});
