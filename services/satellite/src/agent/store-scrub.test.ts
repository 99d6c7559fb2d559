import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createFakeClock, type FakeClock } from "../scheduler/testing/fake-clock.js";
import type { ScrubPass, ScrubPassOptions } from "../store/scrub.js";
import { startStoreScrub, type StoreScrub } from "./store-scrub.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse("2026-01-01T00:00:00Z");
const logger = pino({ level: "silent" });

/** A store whose scrub passes are recorded; `next` decides what a pass does. */
function fakeStore() {
  const calls: { options: ScrubPassOptions; signal?: AbortSignal }[] = [];
  let next: (signal?: AbortSignal) => Promise<ScrubPass> = async () => ({ checked: 3, bytes: 300, quarantined: [] });
  return {
    calls,
    set next(fn: (signal?: AbortSignal) => Promise<ScrubPass>) {
      next = fn;
    },
    scrubPass: (options: ScrubPassOptions, signal?: AbortSignal) => {
      calls.push({ options, signal });
      return next(signal);
    },
  };
}

describe("the agent's scheduled store scrub", () => {
  let dir: string;
  let clock: FakeClock;
  let scrub: StoreScrub | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "store-scrub-"));
    clock = createFakeClock(START);
  });
  afterEach(async () => {
    await scrub?.stop();
    scrub = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  const statePath = () => join(dir, "scrub.json");
  const start = (store: ReturnType<typeof fakeStore>, onPass = vi.fn()) => {
    scrub = startStoreScrub({
      store,
      intervalMs: DAY,
      bytesPerSecond: 50e6,
      statePath: statePath(),
      logger,
      clock,
      onPass,
    });
    return onPass;
  };

  it("on a fresh data dir: the first pass one interval after start, then one per interval, each recorded in scrub.json", async () => {
    const store = fakeStore();
    const onPass = start(store);
    await scrub!.ready;
    expect(clock.nextTimerIn()).toBe(DAY);
    await clock.advance(DAY - 1);
    expect(store.calls).toHaveLength(0);
    await clock.advance(1);
    await vi.waitFor(() => expect(onPass).toHaveBeenCalledTimes(1));
    expect(store.calls[0].options.bytesPerSecond).toBe(50e6);
    expect(onPass.mock.calls[0][0]).toEqual({ checked: 3, bytes: 300, quarantined: [], at: START + DAY });
    expect(scrub!.lastCompletedAt()).toBe(START + DAY);
    expect(JSON.parse(await readFile(statePath(), "utf8"))).toEqual({
      since: new Date(START).toISOString(),
      last_completed_at: new Date(START + DAY).toISOString(),
    });
    await vi.waitFor(() => expect(clock.nextTimerIn()).toBe(DAY));
    await clock.advance(DAY);
    await vi.waitFor(() => expect(onPass).toHaveBeenCalledTimes(2));
  });

  it("after a restart, the next pass is due one interval after the last one ended, not after the start", async () => {
    await writeFile(
      statePath(),
      JSON.stringify({
        since: new Date(START - 10 * DAY).toISOString(),
        last_completed_at: new Date(START - 23 * HOUR).toISOString(),
      }),
    );
    start(fakeStore());
    await scrub!.ready;
    expect(clock.nextTimerIn()).toBe(HOUR);
    expect(scrub!.lastCompletedAt()).toBe(START - 23 * HOUR);
  });

  it("an overdue scrub runs at once; an unreadable scrub.json schedules from now", async () => {
    await writeFile(statePath(), JSON.stringify({ since: new Date(START - 10 * DAY).toISOString() }));
    start(fakeStore());
    await scrub!.ready;
    expect(clock.nextTimerIn()).toBe(0);
    await scrub!.stop();
    await writeFile(statePath(), "{not json");
    start(fakeStore());
    await scrub!.ready;
    expect(clock.nextTimerIn()).toBe(DAY);
  });

  it("a failed pass is tried again after the interval; stop() aborts a running pass", async () => {
    const store = fakeStore();
    store.next = async () => {
      throw new Error("disk gone");
    };
    const onPass = start(store);
    await scrub!.ready;
    await clock.advance(DAY);
    await vi.waitFor(() => expect(clock.nextTimerIn()).toBe(DAY));
    expect(onPass).not.toHaveBeenCalled();

    let aborted = false;
    store.next = (signal) =>
      new Promise((_, reject) =>
        signal!.addEventListener("abort", () => {
          aborted = true;
          reject(signal!.reason as Error);
        }),
      );
    await clock.advance(DAY);
    expect(store.calls).toHaveLength(2);
    await scrub!.stop();
    expect(aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});
