import { validateSatelliteConfig, type SyncWindowConfig } from "@harbor-satellite/satellite-config";
import { describe, expect, it } from "vitest";
import { compileWindows, describeClosed, nextBoundary, windowStatus } from "./sync-windows.js";

const ALL = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as SyncWindowConfig["days"];
const window = (w: Partial<SyncWindowConfig> & { start: string; duration: string }): SyncWindowConfig => ({
  days: ALL,
  time_zone: "UTC",
  ...w,
});
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const statusAt = (windows: SyncWindowConfig[], when: string) => windowStatus(compileWindows({ windows }), at(when));

describe("sync windows", () => {
  it("are always open without any window", () => {
    expect(statusAt([], "2026-12-07T03:00:00Z")).toEqual({ open: true });
  });

  it("cross midnight: 22:00 for 8h holds 23:00 and 05:59, not 06:00", () => {
    const night = [window({ start: "22:00", duration: "8h" })];
    const late = statusAt(night, "2026-12-07T23:00:00Z");
    expect(late.open).toBe(true);
    expect(iso(nextBoundary(late))).toBe("2026-12-08T06:00:00.000Z");
    expect(statusAt(night, "2026-12-08T05:59:59Z").open).toBe(true);
    const morning = statusAt(night, "2026-12-08T06:00:00Z");
    expect(morning).toEqual({ open: false, nextOpenAt: at("2026-12-08T22:00:00Z") });
    expect(describeClosed(morning)).toBe("outside sync window, next window at 2026-12-08T22:00:00.000Z");
  });

  it("open exactly at the start instant, closed exactly at the end instant", () => {
    const noon = [window({ start: "12:00", duration: "1h" })];
    expect(statusAt(noon, "2026-12-07T12:00:00Z").open).toBe(true);
    expect(statusAt(noon, "2026-12-07T11:59:59.999Z").open).toBe(false);
    expect(statusAt(noon, "2026-12-07T13:00:00Z").open).toBe(false);
  });

  it("take the days of the start: a Friday-night window still holds Saturday morning", () => {
    const friday = [window({ days: ["fri"], start: "23:00", duration: "3h" })];
    // 2026-12-11 is a Friday.
    expect(statusAt(friday, "2026-12-12T01:30:00Z").open).toBe(true);
    expect(statusAt(friday, "2026-12-12T02:00:00Z")).toEqual({ open: false, nextOpenAt: at("2026-12-18T23:00:00Z") });
  });

  it("with several windows the next one is the earliest opening, and overlapping ones close at the latest end", () => {
    const windows = [
      window({ days: ["mon"], start: "01:00", duration: "2h" }),
      window({ days: ["wed"], start: "13:00", duration: "1h", max_bytes_per_second: 5_000_000 }),
      window({ days: ["wed"], start: "13:30", duration: "2h" }),
    ];
    // Sunday 2026-12-06 → Monday 01:00.
    expect(statusAt(windows, "2026-12-06T10:00:00Z")).toEqual({ open: false, nextOpenAt: at("2026-12-07T01:00:00Z") });
    // Tuesday → Wednesday 13:00.
    expect(statusAt(windows, "2026-12-08T10:00:00Z")).toEqual({ open: false, nextOpenAt: at("2026-12-09T13:00:00Z") });
    expect(statusAt(windows, "2026-12-09T13:10:00Z")).toEqual({
      open: true,
      closesAt: at("2026-12-09T14:00:00Z"),
      maxBytesPerSecond: 5_000_000,
    });
    // 13:45: both Wednesday windows hold; the later end (15:30) and its (absent) cap win.
    expect(statusAt(windows, "2026-12-09T13:45:00Z")).toEqual({
      open: true,
      closesAt: at("2026-12-09T15:30:00Z"),
      maxBytesPerSecond: undefined,
    });
  });

  it("start on the wall clock of their time zone", () => {
    const newYork = [window({ start: "22:00", duration: "2h", time_zone: "America/New_York" })];
    // 22:00 EST = 03:00 UTC the next day.
    expect(statusAt(newYork, "2026-12-07T04:00:00Z")).toEqual({ open: true, closesAt: at("2026-12-07T05:00:00Z") });
    expect(statusAt(newYork, "2026-12-07T05:00:00Z")).toEqual({ open: false, nextOpenAt: at("2026-12-08T03:00:00Z") });
  });

  it("spring forward: a start in the skipped hour opens at the first instant after it, for real-time duration", () => {
    // Europe/Berlin skips 02:00–03:00 on 2026-03-29; 02:30 does not exist that day.
    const berlin = [window({ start: "02:30", duration: "1h", time_zone: "Europe/Berlin" })];
    const before = statusAt(berlin, "2026-03-28T12:00:00Z");
    expect(before).toEqual({ open: false, nextOpenAt: at("2026-03-29T01:00:00Z") }); // 03:00 CEST
    expect(iso(nextBoundary(statusAt(berlin, "2026-03-29T01:30:00Z")))).toBe("2026-03-29T02:00:00.000Z");
    // The day after, 02:30 CEST again (00:30 UTC).
    expect(statusAt(berlin, "2026-03-29T12:00:00Z")).toEqual({ open: false, nextOpenAt: at("2026-03-30T00:30:00Z") });
  });

  it("fall back: a start in the repeated hour opens once, at its first occurrence", () => {
    // Europe/Berlin repeats 02:00–03:00 on 2026-10-25 (00:00–01:00 UTC as CEST, 01:00–02:00 UTC as CET).
    const berlin = [window({ start: "02:30", duration: "30m", time_zone: "Europe/Berlin" })];
    expect(statusAt(berlin, "2026-10-24T12:00:00Z")).toEqual({ open: false, nextOpenAt: at("2026-10-25T00:30:00Z") });
    expect(statusAt(berlin, "2026-10-25T00:45:00Z").open).toBe(true);
    // The second 02:30 (CET) is not another opening.
    expect(statusAt(berlin, "2026-10-25T01:45:00Z")).toEqual({ open: false, nextOpenAt: at("2026-10-26T01:30:00Z") });
  });

  it("a night window across the fall-back night lasts its duration in real time (one wall-clock hour less)", () => {
    const berlin = [window({ start: "22:00", duration: "8h", time_zone: "Europe/Berlin" })];
    // 22:00 CEST on 2026-10-24 = 20:00 UTC; 8 h later is 04:00 UTC = 05:00 CET.
    expect(statusAt(berlin, "2026-10-25T03:59:00Z")).toEqual({ open: true, closesAt: at("2026-10-25T04:00:00Z") });
  });
});

describe("sync_policy in the config schema", () => {
  const verdict = (sync_policy: unknown) => validateSatelliteConfig({ app_config: { sync_policy } });

  it("defaults to always open, uncapped, state checked outside windows", () => {
    const result = validateSatelliteConfig({});
    expect(result.ok && result.config.app_config.sync_policy).toEqual({
      windows: [],
      check_state_outside_window: true,
      max_bytes_per_second: 0,
    });
    const one = verdict({ windows: [{ start: "01:00", duration: "2h" }] });
    expect(one.ok && one.config.app_config.sync_policy.windows[0]).toEqual({
      days: ALL,
      start: "01:00",
      duration: "2h",
      time_zone: "UTC",
    });
  });

  it("refuses an unknown zone, a bad start, a duration out of range, an unknown day, a negative cap", () => {
    const issues = (w: Record<string, unknown>) => {
      const v = verdict({ windows: [{ start: "01:00", duration: "2h", ...w }] });
      return v.ok ? [] : v.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(issues({ time_zone: "Mars/Olympus" })).toEqual([
      'app_config.sync_policy.windows[0].time_zone: expected an IANA time zone such as UTC or Europe/Berlin, got "Mars/Olympus"',
    ]);
    expect(issues({ start: "24:00" })[0]).toMatch(/windows\[0\]\.start: expected the window's start as "HH:MM"/);
    expect(issues({ duration: "169h" })[0]).toMatch(/windows\[0\]\.duration: expected a duration from 1m to 168h/);
    expect(issues({ duration: "30s" })[0]).toMatch(/windows\[0\]\.duration/);
    expect(issues({ days: ["monday"] })[0]).toMatch(/windows\[0\]\.days\[0\]/);
    expect(issues({ max_bytes_per_second: -1 })[0]).toMatch(/windows\[0\]\.max_bytes_per_second/);
    const missing = verdict({ windows: [{ start: "01:00" }] });
    expect(missing.ok ? [] : missing.issues.map((i) => i.path)).toEqual(["app_config.sync_policy.windows[0].duration"]);
  });
});
