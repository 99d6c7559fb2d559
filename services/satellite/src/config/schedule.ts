// Schedules are part of the config contract (the `schedule` format of its schema), so they live
// in @harbor-satellite/satellite-config; re-exported here for the satellite's scheduler (from the
// schedule entry alone: the package's index also loads the schema validator).
export {
  delayUntilNext,
  formatEvery,
  InvalidScheduleError,
  MAX_EVERY_MS,
  MIN_EVERY_MS,
  parseDuration,
  parseSchedule,
} from "@harbor-satellite/satellite-config/schedule";
export type { Schedule } from "@harbor-satellite/satellite-config/schedule";
