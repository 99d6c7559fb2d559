// Public surface of @harbor-satellite/serving: limits every listener applies, the connection
// cap, and the request guard.
export { defaultLimits, resolveLimits, openFileLimit, connectionCapFor, RESERVED_DESCRIPTORS } from "./limits.js";
export type { ServerLimits } from "./limits.js";
export {
  applyHttp1Limits,
  applyH2Limits,
  limitH2Stream,
  resetStream,
  failStream,
  tlsLimitOptions,
} from "./apply-limits.js";
export { capConnections, sourceKey } from "./connection-cap.js";
export type { ConnectionCap, ConnectionCapOptions } from "./connection-cap.js";
export { guardRequests, defaultRespond, isClientFault } from "./request-guard.js";
export type { GuardOptions, GuardedHandler } from "./request-guard.js";
export { guardStreams, defaultStreamRespond } from "./stream-guard.js";
export type { StreamGuardOptions, StreamHandler } from "./stream-guard.js";
export { createLogThrottle } from "./log-throttle.js";
export type { ThrottledLog } from "./log-throttle.js";
export { waitForShutdown, watchParent, startedByNpm } from "./shutdown.js";
export type { ShutdownOptions, ShutdownSignal } from "./shutdown.js";
