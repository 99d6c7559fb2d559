// Time as the scheduler sees it: injected, so tests drive jobs with a fake clock instead of
// waiting. The system clock splits delays longer than setTimeout's limit (~24.8 days), which a
// yearly cron schedule needs.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    let timer: NodeJS.Timeout;
    let cancelled = false;
    const arm = (left: number) => {
      timer = setTimeout(
        () => {
          if (cancelled) return;
          if (left > MAX_TIMEOUT_MS) arm(left - MAX_TIMEOUT_MS);
          else fn();
        },
        Math.min(Math.max(0, left), MAX_TIMEOUT_MS),
      );
      // A pending job never keeps the process alive on its own; the agent's servers do.
      timer.unref();
    };
    arm(ms);
    return {
      cancel() {
        cancelled = true;
        clearTimeout(timer);
      },
    };
  },
};
