// A satellite's heartbeat interval as it reports it (`state_report_interval`), reduced to whole
// seconds for the status rule. The original satellite sends "@every <Go duration>", which the
// original Ground Control normalizes to "@every HHhMMmSSs" (whole seconds, at least 1 s); we do
// the same, and also accept cron expressions, whose interval is the gap between their next two
// fire times.
import { Cron } from "croner";
import { InvalidArgumentError } from "@harbor-satellite/rpc";

export interface NormalizedInterval {
  /** Whole seconds, at least 1. */
  seconds: number;
  /** "@every 00h00m30s" for durations; the expression itself for cron. */
  text: string;
}

/** A year: longer intervals are almost surely typos, and would keep dead satellites "online". */
export const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;

const EVERY = /^@every\s+(\S+)$/;
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

// Satellites of a fleet report a handful of distinct "@every" strings; remembering them keeps
// the hot path free of parsing. Cron results depend on the current time, so they are not kept.
const everyCache = new Map<string, NormalizedInterval>();
const EVERY_CACHE_LIMIT = 1024;

/**
 * Normalizes a reported interval; undefined when none was reported. Throws InvalidArgumentError
 * naming the field for anything that is neither "@every <duration>" nor a cron expression.
 */
export function normalizeInterval(raw: string, now: Date): NormalizedInterval | undefined {
  const value = raw.trim();
  if (value === "") return undefined;
  const cached = everyCache.get(value);
  if (cached) return cached;
  const every = EVERY.exec(value);
  if (every) {
    const result = fromSeconds(parseGoDuration(every[1]), raw);
    if (everyCache.size >= EVERY_CACHE_LIMIT) everyCache.clear();
    everyCache.set(value, result);
    return result;
  }
  return fromCron(value, now, raw);
}

/** Seconds in a Go duration string such as "30s", "1m30s", "00h00m30s" or "1.5h". */
export function parseGoDuration(text: string): number {
  if (text === "0") return 0;
  let seconds = 0;
  DURATION_PART.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    const part = DURATION_PART.exec(text);
    if (!part) return Number.NaN;
    seconds += Number(part[1]) * UNIT_SECONDS[part[2]];
    at = DURATION_PART.lastIndex;
  }
  return at === 0 ? Number.NaN : seconds;
}

/** "@every HHhMMmSSs", the original Ground Control's normal form. */
export function formatEvery(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `@every ${pad(h)}h${pad(m)}m${pad(s)}s`;
}

function fromSeconds(seconds: number, raw: string): NormalizedInterval {
  if (!Number.isFinite(seconds)) throw invalid(raw, "the duration is not a Go duration such as 30s or 1m30s");
  const whole = Math.max(1, Math.round(seconds));
  if (whole > MAX_INTERVAL_SECONDS) throw invalid(raw, `the interval is longer than ${MAX_INTERVAL_SECONDS} seconds`);
  return { seconds: whole, text: formatEvery(whole) };
}

function fromCron(expression: string, now: Date, raw: string): NormalizedInterval {
  let runs: Date[];
  try {
    // UTC, so daylight-saving jumps do not stretch or shrink the derived interval.
    runs = new Cron(expression, { paused: true, timezone: "UTC" }).nextRuns(2, now);
  } catch (error) {
    throw invalid(raw, `it is neither "@every <duration>" nor a cron expression (${(error as Error).message})`);
  }
  if (runs.length < 2) throw invalid(raw, "the cron expression does not fire twice");
  const seconds = Math.round((runs[1].getTime() - runs[0].getTime()) / 1000);
  if (seconds > MAX_INTERVAL_SECONDS) throw invalid(raw, `the interval is longer than ${MAX_INTERVAL_SECONDS} seconds`);
  return { seconds: Math.max(1, seconds), text: expression };
}

function invalid(raw: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`state_report_interval ${JSON.stringify(raw.slice(0, 100))} is invalid: ${why}`);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
