// The Harbor API emulator: a test double for Harbor (which cannot run here) that follows its
// swagger and documented behaviour, in front of a real docker-registry. See server.ts.
export { startHarborEmulator } from "./server.js";
export type { HarborEmulator, HarborEmulatorOptions } from "./server.js";
export { EmulatorState, generateSecret, isValidSecret } from "./state.js";
export type { ProjectRecord, RobotRecord } from "./state.js";
