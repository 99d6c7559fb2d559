// At most N log lines a minute from one place; lines over the budget are counted, and the count
// rides on the next line that is written.

export type ThrottledLog = (write: (suppressed: number) => void) => void;

export function createLogThrottle(perMinute: number, now: () => number = Date.now): ThrottledLog {
  let windowStart = now();
  let written = 0;
  let suppressed = 0;
  return (write) => {
    const t = now();
    if (t - windowStart >= 60_000) {
      windowStart = t;
      written = 0;
    }
    if (written >= perMinute) {
      suppressed++;
      return;
    }
    written++;
    const count = suppressed;
    suppressed = 0;
    write(count);
  };
}
