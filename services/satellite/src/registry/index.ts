// The satellite's local OCI registry (distribution-spec v1.1 over node:http). `satellite serve`
// runs it alone; the agent serves the same handler on 0.0.0.0:8585 over the store its
// replication engine writes into.
export { createRegistryHandler, startRegistryServer } from "./server.js";
export type { RegistryOptions, RegistryHandler, RegistryServer, ListenOptions } from "./server.js";
export { ROUTES, READ_METHODS } from "./routes.js";
export type { Route, RouteName } from "./routes.js";
export { DEFAULT_UPLOAD_IDLE_MS, DEFAULT_MAX_UPLOAD_SESSIONS } from "./upload-sessions.js";
