// What tests and benchmarks outside the satellite drive it with: the built satellite as a
// process (serve, sync), an in-process registry over a temporary store, the store checker, and
// the command-line parsers the deploy tests hold the compose files against.
export {
  SATELLITE_BIN,
  startServeProcess,
  type ServeProcess,
  type ServeProcessOptions,
} from "./commands/serve-process.js";
export { parseServeArgs } from "./commands/serve.js";
export { startTestRegistry, type TestRegistry, type TestRegistryOptions } from "./registry/test-server.js";
export {
  runSatellite,
  startSatellite,
  summaryOf,
  syncOnceArgs,
  waitForLine,
  type SatelliteRun,
} from "./replication/testing/run-satellite.js";
export { verifyStore, type VerifyReport } from "./store/verify.js";
