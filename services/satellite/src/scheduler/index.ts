// Periodic jobs for the agent: registration (until-success), state replication, heartbeat.
export { createScheduler } from "./scheduler.js";
export type { Scheduler, SchedulerOptions } from "./scheduler.js";
export { createJob } from "./job.js";
export type { Job, JobOptions, JobStatus, JobMode, OverlapPolicy } from "./job.js";
export { withJitter } from "./spread.js";
export { systemClock } from "./clock.js";
export type { Clock, TimerHandle } from "./clock.js";
