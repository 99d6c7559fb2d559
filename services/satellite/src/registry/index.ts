// The satellite's local OCI registry (distribution-spec v1.1 over node:http). `satellite serve`
// runs it alone; the agent serves the same handler on 0.0.0.0:8585 over the store its
// replication engine writes into, read-only unless write credentials are given.
export { createRegistryHandler, startRegistryServer } from "./server.js";
export type { RegistryOptions, RegistryHandler, RegistryServer, ListenOptions } from "./server.js";
export { ROUTES, READ_METHODS } from "./routes.js";
export type { Route, RouteName } from "./routes.js";
export { registryLimits } from "./server.js";
export {
  DEFAULT_UPLOAD_IDLE_MS,
  DEFAULT_EMPTY_UPLOAD_IDLE_MS,
  DEFAULT_MAX_UPLOAD_SESSIONS,
  DEFAULT_MAX_UPLOAD_SESSIONS_PER_SOURCE,
} from "./upload-sessions.js";
export type { UploadSessionLimits } from "./upload-sessions.js";
export { authorizeWrite, BASIC_CHALLENGE } from "./write-access.js";
export type { WriteAccess } from "./write-access.js";
export {
  loadWriteCredentials,
  parseWriteCredentials,
  hashPassword,
  CredentialsFileError,
} from "./write-credentials.js";
export type { WriteCredentials } from "./write-credentials.js";
