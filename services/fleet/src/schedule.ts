// Satellite schedules, as the original checks them with `cron.ParseStandard`: `@every <Go
// duration>` (the only form its scheduler actually runs), a descriptor such as `@hourly`, or a
// standard five-field cron expression.
import { Cron } from "croner";

const DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, "μs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds of a Go duration string ("00h00m30s", "1.5h"), or undefined when it is not one. */
export function goDurationSeconds(text: string): number | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(value) * UNIT_SECONDS[unit];
  return total;
}

export function isSchedule(value: string): boolean {
  const every = /^@every\s+(\S+)$/.exec(value);
  if (every) return (goDurationSeconds(every[1]) ?? 0) > 0;
  if (DESCRIPTORS.has(value)) return true;
  if (value.trim().split(/\s+/).length !== 5) return false;
  try {
    new Cron(value, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}
