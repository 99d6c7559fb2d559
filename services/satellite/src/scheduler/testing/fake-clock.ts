// A clock for scheduler tests: time moves only when the test says, timers fire in order, and
// promise callbacks settle between timers, so a test reads like a timeline.
import type { Clock, TimerHandle } from "../clock.js";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order and settling promises after each. */
  advance(ms: number): Promise<void>;
  /** Delay from now to the earliest pending timer, or undefined when none is pending. */
  nextTimerIn(): number | undefined;
  pendingTimers(): number;
}

/** Lets queued promise callbacks (and the I/O-free async code they start) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let nextId = 1;
  let timers: Timer[] = [];
  const earliest = () =>
    timers.reduce<Timer | undefined>(
      (a, t) => (!a || t.at < a.at || (t.at === a.at && t.id < a.id) ? t : a),
      undefined,
    );
  return {
    now: () => now,
    setTimer(fn, ms): TimerHandle {
      const timer = { id: nextId++, at: now + Math.max(0, ms), fn };
      timers.push(timer);
      return { cancel: () => (timers = timers.filter((t) => t !== timer)) };
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (let timer = earliest(); timer && timer.at <= target; timer = earliest()) {
        timers = timers.filter((t) => t !== timer);
        now = timer.at;
        timer.fn();
        await settle();
      }
      now = target;
      await settle();
    },
    nextTimerIn() {
      const timer = earliest();
      return timer ? timer.at - now : undefined;
    },
    pendingTimers: () => timers.length,
  };
}
