// Sync windows (issue 13): when layer bytes may be fetched. A window opens at `start` ("HH:MM",
// wall clock in its IANA `time_zone`) on each of its `days` and stays open for `duration` of real
// time, so a window may cross midnight (22:00 + 8h closes at 06:00 the next day). The wall-clock
// arithmetic is croner's (Intl time zones): on the spring-forward day a start inside the skipped
// hour opens at the first instant after it; on the fall-back day a start inside the repeated hour
// opens at its first occurrence only. No windows at all means always open.
import { Cron } from "croner";
import type { SyncPolicyConfig, SyncWindowConfig } from "@harbor-satellite/satellite-config";
// The schedule entry alone: the package's index also compiles the config schema (ajv) on load,
// which `satellite sync --once` does not need.
import { parseDuration } from "@harbor-satellite/satellite-config/schedule";

export interface CompiledWindow {
  /** Fires at each opening instant. */
  cron: Cron;
  durationMs: number;
  maxBytesPerSecond?: number;
}

/** Where `now` stands against the windows. */
export type WindowStatus =
  | {
      open: true;
      /** When the window holding `now` closes (the latest close of overlapping ones); undefined when always open. */
      closesAt?: number;
      /** The open window's cap when it has one. */
      maxBytesPerSecond?: number;
    }
  | {
      open: false;
      /** The next opening instant (undefined only if no window ever opens again). */
      nextOpenAt?: number;
    };

export function compileWindow(window: SyncWindowConfig): CompiledWindow {
  // The schema requires both; its derived type cannot say so.
  if (window.start === undefined || window.duration === undefined)
    throw new TypeError("a sync window needs start and duration");
  const [hours, minutes] = window.start.split(":").map(Number);
  const cron = new Cron(`${minutes} ${hours} * * ${window.days.join(",")}`, {
    mode: "5-part",
    timezone: window.time_zone,
  });
  return { cron, durationMs: parseDuration(window.duration), maxBytesPerSecond: window.max_bytes_per_second };
}

export function compileWindows(policy: Pick<SyncPolicyConfig, "windows">): CompiledWindow[] {
  return policy.windows.map(compileWindow);
}

/**
 * The opening of `window` that holds `nowMs`, if any: the first opening after `nowMs - duration`
 * (croner's nextRun is strictly after its argument) is at or before `nowMs`.
 */
function openingHolding(window: CompiledWindow, nowMs: number): number | undefined {
  const opening = window.cron.nextRun(new Date(nowMs - window.durationMs))?.getTime();
  return opening !== undefined && opening <= nowMs ? opening : undefined;
}

export function windowStatus(windows: readonly CompiledWindow[], nowMs: number): WindowStatus {
  if (windows.length === 0) return { open: true };
  let closesAt: number | undefined;
  let maxBytesPerSecond: number | undefined;
  for (const window of windows) {
    const opening = openingHolding(window, nowMs);
    if (opening === undefined) continue;
    const closes = opening + window.durationMs;
    if (closesAt === undefined || closes > closesAt) {
      closesAt = closes;
      maxBytesPerSecond = window.maxBytesPerSecond;
    }
  }
  if (closesAt !== undefined) return { open: true, closesAt, maxBytesPerSecond };
  return { open: false, nextOpenAt: nextOpening(windows, nowMs) };
}

/** The earliest opening of any window strictly after `nowMs`. */
export function nextOpening(windows: readonly CompiledWindow[], nowMs: number): number | undefined {
  let next: number | undefined;
  for (const window of windows) {
    const at = window.cron.nextRun(new Date(nowMs))?.getTime();
    if (at !== undefined && (next === undefined || at < next)) next = at;
  }
  return next;
}

/** The next instant the status may change: a close while open, the next opening while closed. */
export function nextBoundary(status: WindowStatus): number | undefined {
  return status.open ? status.closesAt : status.nextOpenAt;
}

/** The heartbeat's words for a closed window. */
export function describeClosed(status: WindowStatus): string | undefined {
  if (status.open) return undefined;
  return status.nextOpenAt === undefined
    ? "outside sync window, no window opens again"
    : `outside sync window, next window at ${new Date(status.nextOpenAt).toISOString()}`;
}
