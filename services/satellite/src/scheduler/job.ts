// One periodic job (state replication, heartbeat, registration). It runs once as soon as it is
// started, then after each run waits for the schedule's next slot (with jitter), or after a
// failure for the shared retry policy's backoff (@harbor-satellite/retry: capped exponential,
// full jitter) that the next success resets. Runs
// never overlap: the next timer is armed only when a run ends, and a manual trigger while a run
// is going is skipped or queued (at most one). `until-success` jobs (registration) stop after
// their first success. The schedule can change while the job lives (config hot reload); stop()
// aborts the running pass through its AbortSignal and waits for it.
import type { Logger } from "pino";
import { delayUntilNext, type Schedule } from "../config/schedule.js";
import { delayFor, retryPolicy, type BackoffOptions, type Random, type RetryPolicy } from "@harbor-satellite/retry";
import { withJitter } from "./spread.js";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";

export type JobMode = "periodic" | "until-success";
export type OverlapPolicy = "skip" | "queue";

export interface JobOptions {
  name: string;
  schedule: Schedule;
  /** The work; it must give up promptly when `signal` aborts. */
  run: (signal: AbortSignal) => Promise<void>;
  mode?: JobMode;
  /** Spread of each scheduled delay, as a fraction (default 0.1 = ±10 %). */
  jitter?: number;
  /**
   * Backoff after failures (default on: baseMs the schedule's interval, or 30 s for cron; capMs
   * 5 minutes, never below baseMs; factor 2); false retries on the plain schedule.
   */
  backoff?: BackoffOptions | false;
  /** What a trigger() during a run does (default "skip"). */
  overlap?: OverlapPolicy;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Aborting it stops the job. */
  signal?: AbortSignal;
}

export interface JobStatus {
  running: boolean;
  runs: number;
  successes: number;
  consecutiveFailures: number;
  lastError?: Error;
  lastStartedAt?: number;
  lastDurationMs?: number;
  lastSuccessAt?: number;
  /** When the next run is due; undefined while running or once finished. */
  nextRunAt?: number;
  /** Stopped, or an until-success job that succeeded. */
  finished: boolean;
}

export interface Job {
  readonly name: string;
  readonly schedule: Schedule;
  /** Runs now, then follows the schedule. Idempotent. */
  start(): void;
  /** Runs now if idle; otherwise skips or queues per the overlap policy (the job's, unless given). */
  trigger(whenRunning?: OverlapPolicy): "started" | "queued" | "skipped";
  /** Replaces the schedule; an armed timer is re-armed from now. */
  setSchedule(schedule: Schedule): void;
  status(): JobStatus;
  /** Aborts a running pass, cancels the timer, and resolves when the pass has ended. */
  stop(): Promise<void>;
  /** Resolves when the job has finished (stopped, or succeeded in until-success mode). */
  readonly done: Promise<void>;
}

const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;
const CRON_BACKOFF_MS = 30_000;

export function createJob(options: JobOptions): Job {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const jitter = options.jitter ?? 0.1;
  const mode = options.mode ?? "periodic";
  const overlap = options.overlap ?? "skip";
  const log = options.logger?.child({ job: options.name });
  let schedule = options.schedule;
  let timer: TimerHandle | undefined;
  let current: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let queued = false;
  let started = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const status: JobStatus = { running: false, runs: 0, successes: 0, consecutiveFailures: 0, finished: false };

  const backoffPolicy = (): RetryPolicy | undefined => {
    if (options.backoff === false) return undefined;
    const baseMs = options.backoff?.baseMs ?? (schedule.kind === "every" ? schedule.everyMs : CRON_BACKOFF_MS);
    return retryPolicy({
      baseMs,
      capMs: Math.max(baseMs, options.backoff?.capMs ?? DEFAULT_MAX_BACKOFF_MS),
      factor: options.backoff?.factor,
    });
  };

  const nextDelay = (): number => {
    const backoff = backoffPolicy();
    if (status.consecutiveFailures > 0 && backoff) return delayFor(backoff, status.consecutiveFailures, random);
    const delay = delayUntilNext(schedule, clock.now());
    // Cron slots are wall-clock minutes: only delay (never run early), within a fraction of a minute.
    return schedule.kind === "every"
      ? withJitter(delay, jitter, random)
      : delay + Math.round(random() * jitter * Math.min(delay, 60_000));
  };

  const arm = () => {
    timer?.cancel();
    const delay = nextDelay();
    status.nextRunAt = clock.now() + delay;
    timer = clock.setTimer(() => {
      timer = undefined;
      execute();
    }, delay);
  };

  const finish = () => {
    if (status.finished) return;
    status.finished = true;
    status.nextRunAt = undefined;
    timer?.cancel();
    timer = undefined;
    resolveDone();
  };

  const settle = async (signal: AbortSignal) => {
    const startedAt = clock.now();
    status.running = true;
    status.runs++;
    status.lastStartedAt = startedAt;
    status.nextRunAt = undefined;
    try {
      await options.run(signal);
      status.successes++;
      status.consecutiveFailures = 0;
      status.lastError = undefined;
      status.lastSuccessAt = clock.now();
      log?.debug({ durationMs: clock.now() - startedAt }, "job run succeeded");
      if (mode === "until-success") finish();
    } catch (thrown) {
      if (signal.aborted && status.finished) return; // stopped mid-run: not a failure of the work
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      status.consecutiveFailures++;
      status.lastError = error;
      log?.warn(
        { err: { name: error.name, message: error.message }, failures: status.consecutiveFailures },
        "job run failed",
      );
    } finally {
      status.running = false;
      status.lastDurationMs = clock.now() - startedAt;
    }
  };

  function execute(): void {
    if (status.finished) return;
    timer?.cancel();
    timer = undefined;
    controller = new AbortController();
    const signal = controller.signal;
    current = settle(signal).finally(() => {
      current = undefined;
      if (status.finished) return;
      if (queued) {
        queued = false;
        execute();
      } else {
        arm();
        log?.debug({ inMs: (status.nextRunAt ?? 0) - clock.now() }, "next run armed");
      }
    });
  }

  const job: Job = {
    name: options.name,
    get schedule() {
      return schedule;
    },
    start() {
      if (started || status.finished) return;
      started = true;
      execute();
    },
    trigger(whenRunning = overlap) {
      if (status.finished) return "skipped";
      if (!current) {
        started = true;
        execute();
        return "started";
      }
      if (whenRunning === "queue" && !queued) {
        queued = true;
        return "queued";
      }
      return "skipped";
    },
    setSchedule(next) {
      schedule = next;
      if (timer && !current) arm();
    },
    status: () => ({ ...status }),
    async stop() {
      finish();
      queued = false;
      controller?.abort(new Error(`job ${options.name} stopped`));
      await current?.catch(() => undefined);
    },
    done,
  };

  if (options.signal) {
    if (options.signal.aborted) void job.stop();
    else options.signal.addEventListener("abort", () => void job.stop(), { once: true });
  }
  return job;
}
