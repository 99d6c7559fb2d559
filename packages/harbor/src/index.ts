// Symbols for Ground Control: the client, its error, and the Harbor models it returns.
export { createHarborClient } from "./client.js";
export type {
  Access,
  Artifact,
  HarborClient,
  HarborClientOptions,
  OverallHealthStatus,
  Project,
  Robot,
  RobotCreate,
  RobotCreated,
  RobotPermission,
} from "./client.js";
export { HarborError, NETWORK_ERROR_CODE } from "./harbor-error.js";
export type { HarborErrorCode } from "./harbor-error.js";

// Symbols below are for generators, tests and the Harbor emulator (which also import
// `@harbor-satellite/harbor/openapi`, kept out of this entry: its converter is a dev-only dependency).
export type { components, operations, paths } from "./generated/harbor-api.js";
