// The agent's scheduled store scrub: every `intervalMs` it re-hashes every blob at no more than
// `bytesPerSecond` (store/scrub.ts; reads are paced so the registry keeps the disk and the event
// loop) and quarantines a blob whose bytes no longer match its digest. The next state pass's
// owned-image audit then finds that blob missing and fetches it again from upstream
// (state/owned-repair.ts). When the last pass ended is kept in <data dir>/scrub.json, so a
// restart does not start the clock again (nor scrub at every start): the first pass is due one
// interval after the last one ended, or after the agent first ran on this data dir.
import type { Logger } from "pino";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { readOptional } from "../fs/read-optional.js";
import { systemClock, type Clock, type TimerHandle } from "../scheduler/clock.js";
import type { ScrubPass, ScrubPassOptions } from "../store/scrub.js";

export interface ScrubbableStore {
  scrubPass(options: ScrubPassOptions, signal?: AbortSignal): Promise<ScrubPass>;
}

export interface StoreScrubOptions {
  store: ScrubbableStore;
  intervalMs: number;
  bytesPerSecond: number;
  /** Where the last completion is kept (scrub.json in the data dir). */
  statePath: string;
  logger: Logger;
  clock?: Clock;
  /** Each chunk read (metrics). */
  onBytes?: (bytes: number) => void;
  /** Each completed pass, with what it quarantined. */
  onPass: (pass: ScrubPass & { at: number }) => void;
}

export interface StoreScrub {
  /** Unix ms the last full pass ended, here or before a restart; undefined before the first. */
  lastCompletedAt(): number | undefined;
  /** Resolves once the first run is scheduled (scrub.json read). */
  readonly ready: Promise<void>;
  /** Aborts a running pass and cancels the timer. */
  stop(): Promise<void>;
}

interface ScrubState {
  /** When this data dir was first scrub-scheduled (ISO). */
  since: string;
  last_completed_at?: string;
}

export function startStoreScrub(options: StoreScrubOptions): StoreScrub {
  const clock = options.clock ?? systemClock;
  const log = options.logger;
  const controller = new AbortController();
  let state: ScrubState | undefined;
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;

  const base = (s: ScrubState) => Date.parse(s.last_completed_at ?? s.since);
  const arm = (delayMs: number) => {
    if (controller.signal.aborted) return;
    timer = clock.setTimer(
      () => {
        timer = undefined;
        running = runOnce().finally(() => (running = undefined));
      },
      Math.max(0, delayMs),
    );
  };

  const runOnce = async () => {
    const started = clock.now();
    try {
      const pass = await options.store.scrubPass(
        { bytesPerSecond: options.bytesPerSecond, onBytes: options.onBytes },
        controller.signal,
      );
      const at = clock.now();
      state = { since: state!.since, last_completed_at: new Date(at).toISOString() };
      await writeFileAtomic(options.statePath, `${JSON.stringify(state)}\n`).catch((error: unknown) =>
        log.warn({ err: error }, "could not record the scrub's completion"),
      );
      log.info(
        { checked: pass.checked, bytes: pass.bytes, quarantined: pass.quarantined.length, ms: at - started },
        "store scrub done",
      );
      options.onPass({ ...pass, at });
    } catch (error) {
      if (controller.signal.aborted) return;
      log.warn({ err: error }, "store scrub failed; trying again after the interval");
    }
    arm(options.intervalMs);
  };

  const ready = (async () => {
    state = await loadState(options.statePath, log);
    if (!state) {
      state = { since: new Date(clock.now()).toISOString() };
      await writeFileAtomic(options.statePath, `${JSON.stringify(state)}\n`).catch((error: unknown) =>
        log.warn({ err: error }, "could not record the scrub's schedule"),
      );
    }
    const delay = base(state) + options.intervalMs - clock.now();
    log.info(
      {
        intervalMs: options.intervalMs,
        bytesPerSecond: options.bytesPerSecond,
        firstInMs: Math.max(0, Math.round(delay)),
      },
      "store scrub scheduled",
    );
    arm(delay);
  })().catch((error: unknown) =>
    log.warn({ err: error }, "store scrub not scheduled: its state file cannot be read or written"),
  );

  return {
    lastCompletedAt: () => (state?.last_completed_at ? Date.parse(state.last_completed_at) : undefined),
    ready,
    async stop() {
      controller.abort();
      await ready.catch(() => undefined);
      timer?.cancel();
      await running;
    },
  };
}

async function loadState(path: string, log: Logger): Promise<ScrubState | undefined> {
  const text = await readOptional(path);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<ScrubState>;
    const valid = (v: unknown) => v === undefined || (typeof v === "string" && !Number.isNaN(Date.parse(v)));
    if (typeof parsed.since === "string" && valid(parsed.since) && valid(parsed.last_completed_at))
      return { since: parsed.since, last_completed_at: parsed.last_completed_at };
  } catch {
    // fall through
  }
  log.warn({ path }, "scrub.json is unreadable; scheduling the scrub from now");
  return undefined;
}
