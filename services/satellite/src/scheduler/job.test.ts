import { describe, expect, it } from "vitest";
import { parseSchedule } from "../config/schedule.js";
import { createJob, type JobOptions } from "./job.js";
import { createFakeClock, settle } from "./testing/fake-clock.js";

const every = (text: string) => parseSchedule(`@every ${text}`);

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A started job whose runs each wait for their gate; its first run is under way. */
async function runningGatedJob(overrides: Partial<JobOptions> = {}) {
  const gates: ReturnType<typeof deferred>[] = [];
  const job = createJob({
    name: "gated",
    schedule: every("1m"),
    clock: createFakeClock(),
    run: () => (gates.push(deferred()), gates[gates.length - 1].promise),
    ...overrides,
  });
  job.start();
  await settle();
  return { job, gates };
}

function setup(overrides: Partial<JobOptions> & { outcomes?: ("ok" | "fail")[] } = {}) {
  const clock = createFakeClock(Date.parse("2024-01-01T00:00:00Z"));
  const calls: number[] = [];
  const outcomes = overrides.outcomes ?? [];
  const job = createJob({
    name: "test",
    schedule: every("10s"),
    clock,
    random: () => 0.5,
    run: async () => {
      calls.push(clock.now());
      if ((outcomes[calls.length - 1] ?? "ok") === "fail") throw new Error(`run ${calls.length} failed`);
    },
    ...overrides,
  });
  return { clock, calls, job };
}

describe("job schedule", () => {
  it("runs once immediately, then on the interval", async () => {
    const { clock, calls, job } = setup();
    job.start();
    await settle();
    expect(calls).toHaveLength(1);
    expect(clock.nextTimerIn()).toBe(10_000);
    await clock.advance(30_000);
    expect(calls).toHaveLength(4);
    expect(calls.map((t) => t - calls[0])).toEqual([0, 10_000, 20_000, 30_000]);
    await job.stop();
  });

  it("spreads delays by the jitter fraction", async () => {
    for (const [r, expected] of [
      [0, 9_000],
      [1, 11_000],
      [0.25, 9_500],
    ] as const) {
      const { clock, job } = setup({ random: () => r });
      job.start();
      await settle();
      expect(clock.nextTimerIn()).toBe(expected);
      await job.stop();
    }
  });

  it("follows a cron schedule to the next wall-clock slot", async () => {
    const { clock, calls, job } = setup({ schedule: parseSchedule("*/5 * * * *"), jitter: 0 });
    job.start();
    await settle();
    expect(clock.nextTimerIn()).toBe(5 * 60_000);
    await clock.advance(5 * 60_000);
    expect(calls).toHaveLength(2);
    expect(new Date(calls[1]).toISOString()).toBe("2024-01-01T00:05:00.000Z");
    await job.stop();
  });

  it("re-arms from now when the schedule changes (hot reload)", async () => {
    const { clock, calls, job } = setup();
    job.start();
    await clock.advance(4_000);
    job.setSchedule(every("1m"));
    expect(clock.nextTimerIn()).toBe(60_000);
    await clock.advance(59_000);
    expect(calls).toHaveLength(1);
    await clock.advance(1_000);
    expect(calls).toHaveLength(2);
    expect(job.schedule.text).toBe("@every 1m");
    await job.stop();
  });
});

describe("job overlap", () => {
  it("never runs twice at once, however long a run takes", async () => {
    const clock = createFakeClock();
    let active = 0;
    let maxActive = 0;
    const gates: ReturnType<typeof deferred>[] = [];
    const job = createJob({
      name: "slow",
      schedule: every("1s"),
      clock,
      jitter: 0,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        active--;
      },
    });
    job.start();
    await clock.advance(60_000);
    expect(gates).toHaveLength(1);
    expect(job.trigger()).toBe("skipped");
    gates[0].resolve();
    await settle();
    expect(clock.nextTimerIn()).toBe(1_000);
    await clock.advance(1_000);
    expect(gates).toHaveLength(2);
    expect(maxActive).toBe(1);
    gates[1].resolve();
    await job.stop();
  });

  it("queues one trigger during a run and runs it right after", async () => {
    const { job, gates } = await runningGatedJob({ overlap: "queue" });
    expect(job.trigger()).toBe("queued");
    expect(job.trigger()).toBe("skipped");
    gates[0].resolve();
    await settle();
    expect(gates).toHaveLength(2);
    gates[1].resolve();
    await settle();
    expect(gates).toHaveLength(2);
    await job.stop();
  });

  it("queues a trigger that asks for it, in a job that otherwise skips", async () => {
    const { job, gates } = await runningGatedJob();
    expect(job.trigger()).toBe("skipped");
    expect(job.trigger("queue")).toBe("queued");
    gates[0].resolve();
    await settle();
    expect(gates).toHaveLength(2);
    gates[1].resolve();
    await job.stop();
  });

  it("runs at once on trigger when idle, and resumes the schedule after", async () => {
    const { clock, calls, job } = setup();
    job.start();
    await clock.advance(3_000);
    expect(job.trigger()).toBe("started");
    await settle();
    expect(calls).toHaveLength(2);
    expect(clock.nextTimerIn()).toBe(10_000);
    await job.stop();
  });
});

describe("job backoff", () => {
  it("backs off exponentially with jitter, capped, and resets on success", async () => {
    const outcomes = ["fail", "fail", "fail", "fail", "fail", "fail", "ok", "ok"] as const;
    const { clock, calls, job } = setup({ outcomes: [...outcomes], backoff: { capMs: 60_000 } });
    job.start();
    const delays: number[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      await settle();
      delays.push(clock.nextTimerIn()!);
      await clock.advance(clock.nextTimerIn()!);
    }
    // Full jitter at random 0.5 = half of 10 s, 20 s, 40 s, then of the 60 s cap; success → 10 s.
    expect(delays).toEqual([5_000, 10_000, 20_000, 30_000, 30_000, 30_000, 10_000, 10_000]);
    expect(calls).toHaveLength(outcomes.length + 1);
    expect(job.status().consecutiveFailures).toBe(0);
    await job.stop();
  });

  it("records the failure without throwing, and retries on the plain schedule without backoff", async () => {
    const { clock, job } = setup({ outcomes: ["fail", "fail"], backoff: false });
    job.start();
    await settle();
    expect(job.status()).toMatchObject({ consecutiveFailures: 1, runs: 1, successes: 0 });
    expect(job.status().lastError?.message).toBe("run 1 failed");
    expect(clock.nextTimerIn()).toBe(10_000);
    await job.stop();
  });
});

describe("job cancellation and modes", () => {
  it("stop() aborts the running pass, waits for it, and nothing runs after", async () => {
    const clock = createFakeClock();
    let seen: AbortSignal | undefined;
    let ended = false;
    const job = createJob({
      name: "abortable",
      schedule: every("1s"),
      clock,
      run: (signal) =>
        new Promise<void>((_resolve, reject) => {
          seen = signal;
          signal.addEventListener("abort", () => setImmediate(() => ((ended = true), reject(signal.reason))));
        }),
    });
    job.start();
    await settle();
    await job.stop();
    expect(seen?.aborted).toBe(true);
    expect(ended).toBe(true);
    expect(job.status()).toMatchObject({ finished: true, consecutiveFailures: 0 });
    expect(clock.pendingTimers()).toBe(0);
    expect(job.trigger()).toBe("skipped");
    await job.done;
  });

  it("stops when the parent signal aborts", async () => {
    const parent = new AbortController();
    const { clock, calls, job } = setup({ signal: parent.signal });
    job.start();
    await settle();
    parent.abort();
    await job.done;
    await clock.advance(60_000);
    expect(calls).toHaveLength(1);
  });

  it("until-success: retries every interval with jitter until the first success, then stops", async () => {
    const { clock, calls, job } = setup({
      mode: "until-success",
      schedule: every("30s"),
      backoff: false,
      outcomes: ["fail", "fail", "ok"],
      random: () => 1,
    });
    job.start();
    await settle();
    expect(clock.nextTimerIn()).toBe(33_000);
    await clock.advance(33_000 * 2);
    await job.done;
    expect(calls).toHaveLength(3);
    expect(job.status()).toMatchObject({ finished: true, successes: 1 });
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(10 * 60_000);
    expect(calls).toHaveLength(3);
  });
});
