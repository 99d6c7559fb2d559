// When a periodic job runs: the original's `@every <duration>` form (`@every 00h00m10s`,
// `@every 10s`, `@every 1m30s`) or a standard 5-field cron expression (and the `@hourly`-style
// descriptors cron.ParseStandard accepts). The original validated cron but its scheduler only
// ran `@every`; here both run. Cron goes through croner; `@every` is parsed here because croner
// has no interval form.
import { Cron } from "croner";

export type Schedule =
  | { readonly kind: "every"; readonly text: string; readonly everyMs: number }
  | { readonly kind: "cron"; readonly text: string; readonly cron: Cron };

export class InvalidScheduleError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(
      `invalid schedule ${JSON.stringify(value.slice(0, 200))}: ${reason} (use "@every 00h00m10s", "@every 1m30s" or a 5-field cron expression such as "*/5 * * * *")`,
    );
    this.name = "InvalidScheduleError";
  }
}

/** Shortest interval run: robfig/cron (the original's scheduler) raises shorter `@every` to 1 s. */
export const MIN_EVERY_MS = 1_000;
/** Longest interval accepted; anything longer is almost certainly a typo. */
export const MAX_EVERY_MS = 366 * 24 * 3_600_000;

// Go's time.ParseDuration units, as Ground Control's validator accepts them.
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ns: 1e-6,
};
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const UNIT = "(?:ns|us|µs|μs|ms|h|m|s)";
const DURATION = new RegExp(`^(?:${NUMBER}${UNIT})+$`);
const PART = new RegExp(`(${NUMBER})(ns|us|µs|μs|ms|h|m|s)`, "g");
const DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

/** Parses a Go duration made of `<number><unit>` parts (h, m, s, ms, us, ns), e.g. `00h00m10s`, `1m30s`, `1.5h`. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new InvalidScheduleError(text, "not a duration of h/m/s/ms/us/ns parts");
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit];
  return ms;
}

export function parseSchedule(value: string): Schedule {
  if (typeof value !== "string") throw new InvalidScheduleError(String(value), "not a string");
  const text = value.trim();
  if (text === "") throw new InvalidScheduleError(value, "empty");
  if (text.startsWith("@every")) {
    const rest = text.slice("@every".length);
    if (!/^\s+\S+$/.test(rest)) throw new InvalidScheduleError(value, "@every needs one duration");
    let everyMs: number;
    try {
      everyMs = parseDuration(rest.trim());
    } catch {
      throw new InvalidScheduleError(value, "not a duration of h/m/s/ms/us/ns parts");
    }
    if (everyMs <= 0) throw new InvalidScheduleError(value, "interval must be longer than zero");
    everyMs = Math.max(MIN_EVERY_MS, Math.round(everyMs));
    if (everyMs > MAX_EVERY_MS) throw new InvalidScheduleError(value, "interval longer than 366 days");
    return { kind: "every", text, everyMs };
  }
  if (text.startsWith("@") && !DESCRIPTORS.has(text.toLowerCase()))
    throw new InvalidScheduleError(value, "unknown descriptor");
  if (!text.startsWith("@") && text.split(/\s+/).length !== 5)
    throw new InvalidScheduleError(value, "cron expressions have exactly 5 fields");
  try {
    // UTC so a schedule means the same on every satellite whatever its TZ.
    const cron = new Cron(text, { mode: "5-part", timezone: "UTC" });
    if (cron.nextRun(new Date(0)) === null) throw new Error("never fires");
    return { kind: "cron", text, cron };
  } catch (error) {
    throw new InvalidScheduleError(
      value,
      error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error),
    );
  }
}

/** Milliseconds from `nowMs` to the schedule's next run (an interval is measured from now). */
export function delayUntilNext(schedule: Schedule, nowMs: number): number {
  if (schedule.kind === "every") return schedule.everyMs;
  const next = schedule.cron.nextRun(new Date(nowMs));
  return next === null ? MAX_EVERY_MS : Math.max(0, next.getTime() - nowMs);
}

/** `@every HHhMMmSSs` in whole seconds: the form Ground Control normalises heartbeat intervals to. */
export function formatEvery(ms: number): string {
  const total = Math.max(1, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return `@every ${two(h)}h${two(m)}m${two(s)}s`;
}
