export {
  describeHolder,
  DirectoryLockedError,
  lockDirectory,
  type DirectoryLock,
  type LockOptions,
} from "./dir-lock.js";
export { currentProcessMark, isRunning, type ProcessMark } from "./process-liveness.js";
