// The agent's set of jobs, sharing one clock, random source, logger and shutdown signal. The
// agent adds registration, state replication and heartbeat here, re-schedules them on config
// hot reload, and stops them all on shutdown.
import type { Logger } from "pino";
import type { Random } from "@harbor-satellite/retry";
import type { Clock } from "./clock.js";
import { createJob, type Job, type JobOptions, type JobStatus } from "./job.js";

export interface SchedulerOptions {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface Scheduler {
  /** Creates and starts a job. Names are unique. */
  add(options: Omit<JobOptions, "clock" | "random" | "logger" | "signal">): Job;
  get(name: string): Job | undefined;
  statuses(): Record<string, JobStatus>;
  /** Stops every job and waits for running passes to end. */
  stop(): Promise<void>;
}

export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  const jobs = new Map<string, Job>();
  let stopped = false;
  return {
    add(jobOptions) {
      if (stopped) throw new Error("scheduler is stopped");
      if (jobs.has(jobOptions.name)) throw new Error(`job ${jobOptions.name} already exists`);
      const job = createJob({
        ...jobOptions,
        clock: options.clock,
        random: options.random,
        logger: options.logger,
        signal: options.signal,
      });
      jobs.set(job.name, job);
      job.start();
      return job;
    },
    get: (name) => jobs.get(name),
    statuses: () => Object.fromEntries([...jobs].map(([name, job]) => [name, job.status()])),
    async stop() {
      stopped = true;
      await Promise.all([...jobs.values()].map((job) => job.stop()));
    },
  };
}
