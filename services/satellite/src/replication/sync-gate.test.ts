import type { SyncPolicyConfig } from "@harbor-satellite/satellite-config";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../scheduler/testing/fake-clock.js";
import { createGateBuffer, gateView } from "./bandwidth-gate.mjs";
import { createSyncGate, SyncWindowClosedError } from "./sync-gate.js";

const policy = (p: Partial<SyncPolicyConfig>): SyncPolicyConfig => ({
  windows: [],
  check_state_outside_window: true,
  max_bytes_per_second: 0,
  ...p,
});
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as SyncPolicyConfig["windows"][number]["days"];

describe("sync gate", () => {
  it("opens and closes at the window's boundaries, and the workers' view follows", async () => {
    const clock = createFakeClock(Date.parse("2026-12-07T09:00:00Z"));
    const gate = createSyncGate(
      policy({
        max_bytes_per_second: 1_000_000,
        windows: [{ days: DAYS, start: "10:00", duration: "1h", time_zone: "UTC", max_bytes_per_second: 5_000_000 }],
      }),
      clock,
    );
    const worker = gateView(gate.buffer);
    const changes: boolean[] = [];
    gate.onChange((s) => changes.push(s.open));
    expect(gate.isOpen()).toBe(false);
    expect(worker.isOpen()).toBe(false);
    expect(gate.describe()).toBe("outside sync window, next window at 2026-12-07T10:00:00.000Z");
    expect(() => gate.assertOpen()).toThrow(SyncWindowClosedError);
    expect(gate.rate()).toBe(1_000_000);

    await clock.advance(3_600_000);
    expect(worker.isOpen()).toBe(true);
    expect(gate.describe()).toBeUndefined();
    expect(worker.rate()).toBe(5_000_000);

    await clock.advance(3_600_000);
    expect(worker.isOpen()).toBe(false);
    expect(worker.rate()).toBe(1_000_000);
    expect(gate.closedError().message).toBe("outside sync window, next window at 2026-12-08T10:00:00.000Z");
    expect(changes).toEqual([true, false]);
    gate.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it("tells the copies how long the window has left on the wall clock, whatever the gate's clock says", () => {
    // A clock years away from the wall clock: the copies (which read the wall clock) must still
    // see one hour left, not a close long past or far ahead.
    const clock = createFakeClock(Date.parse("2031-03-03T22:00:00Z"));
    const gate = createSyncGate(
      policy({
        max_bytes_per_second: 1_000_000,
        windows: [{ days: DAYS, start: "22:00", duration: "1h", time_zone: "UTC" }],
      }),
      clock,
    );
    const copy = gateView(gate.buffer);
    expect(copy.isOpen()).toBe(true);
    expect(copy.msUntilClose()).toBeGreaterThan(3_590_000);
    expect(copy.msUntilClose()).toBeLessThanOrEqual(3_600_000);
    // At 1 MB/s, an hour's worth of bytes may still be asked for (less what the burst allows).
    expect(copy.bytesBeforeClose()).toBeGreaterThan(3_500_000_000);
    gate.close();
  });

  it("takes a new policy without a restart: cap and windows change at once", () => {
    const clock = createFakeClock(Date.parse("2026-12-07T09:00:00Z"));
    const gate = createSyncGate(policy({}), clock);
    const worker = gateView(gate.buffer);
    expect(worker.isOpen()).toBe(true);
    expect(worker.rate()).toBe(0);
    gate.apply(policy({ max_bytes_per_second: 2_000_000 }));
    expect(worker.rate()).toBe(2_000_000);
    gate.apply(
      policy({
        windows: [{ days: DAYS, start: "23:00", duration: "2h", time_zone: "UTC" }],
        check_state_outside_window: false,
      }),
    );
    expect(worker.isOpen()).toBe(false);
    expect(gate.checksStateOutsideWindow()).toBe(false);
    expect(worker.rate()).toBe(0);
    gate.close();
  });
});

describe("bandwidth gate (token bucket)", () => {
  it("lets a burst through, then makes takers wait bytes / rate", () => {
    const view = gateView(createGateBuffer());
    view.setOpen(true);
    expect(view.take(10_000_000)).toBe(0);
    view.setRate(1_000_000);
    // 512 KiB of burst at 1 MB/s (0.52 s): the first read waits for nothing.
    expect(view.take(256 * 1024)).toBe(0);
    // 1 MB more is 1 s of line: an idle line banks one burst and may run one burst ahead, so it
    // waits 0.262 + 1 - 2 × 0.524 s.
    const wait = view.take(1_000_000);
    expect(wait).toBeGreaterThan(150);
    expect(wait).toBeLessThanOrEqual(215);
    // Reservations add up across takers: the next 500 kB waits about 0.5 s longer.
    const next = view.take(500_000);
    expect(next - wait).toBeGreaterThan(450);
    expect(next - wait).toBeLessThanOrEqual(520);
  });
});
