// @harbor-satellite/gateway: start Ground Control in-process (tests, benchmarks) or via main().
export { startGroundControl } from "./app.js";
export type { GroundControl } from "./app.js";
export { parseConfig, ConfigError, SERVICE_NAMES } from "./config.js";
export type { GatewayConfig, ServiceName } from "./config.js";
export { main } from "./main.js";
// Building blocks of the satellite-state endpoint, for tests that wire services without the gateway.
export { createAuthenticator } from "./authenticator.js";
export type { Authenticator } from "./authenticator.js";
export { handleStateRegistryRoute } from "./state-registry-routes.js";
export type { StateRegistryDeps } from "./state-registry-routes.js";
export { inProcessTransport } from "./service-clients.js";
