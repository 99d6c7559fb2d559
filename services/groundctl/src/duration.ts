// Durations on the command line: `90s`, `15m`, `24h`, `7d`, `1h30m`, or plain seconds (`3600`).
import { UsageError } from "./exit-codes.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Whole seconds, at least 1. `what` names the option in the message. */
export function parseDurationSeconds(text: string, what: string): number {
  const trimmed = text.trim();
  let seconds = 0;
  if (/^\d+$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else if (/^(\d+[smhd])+$/.test(trimmed)) {
    for (const [, n, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) seconds += Number(n) * UNIT_SECONDS[unit];
  } else {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not a duration: use e.g. 90s, 15m, 24h, 7d or 1h30m`);
  }
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new UsageError(`${what} must be at least 1s`);
  return seconds;
}
