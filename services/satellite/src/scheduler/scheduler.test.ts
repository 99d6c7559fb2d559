import { describe, expect, it } from "vitest";
import { parseSchedule } from "../config/schedule.js";
import { createScheduler } from "./scheduler.js";
import { createFakeClock, settle } from "./testing/fake-clock.js";

describe("scheduler", () => {
  it("starts jobs on add, reports their status, and stops them all", async () => {
    const clock = createFakeClock();
    const scheduler = createScheduler({ clock, random: () => 0.5 });
    const runs: string[] = [];
    scheduler.add({
      name: "heartbeat",
      schedule: parseSchedule("@every 30s"),
      run: async () => void runs.push("heartbeat"),
    });
    scheduler.add({
      name: "replicate",
      schedule: parseSchedule("@every 10s"),
      run: async () => void runs.push("replicate"),
    });
    await settle();
    expect(runs.sort()).toEqual(["heartbeat", "replicate"]);
    await clock.advance(30_000);
    expect(runs.filter((r) => r === "replicate")).toHaveLength(4);
    expect(scheduler.statuses().heartbeat).toMatchObject({ runs: 2, finished: false });
    expect(() =>
      scheduler.add({ name: "heartbeat", schedule: parseSchedule("@every 1s"), run: async () => {} }),
    ).toThrow(/already exists/);
    scheduler.get("heartbeat")?.setSchedule(parseSchedule("@every 5m"));
    await scheduler.stop();
    expect(Object.values(scheduler.statuses()).every((s) => s.finished)).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});
