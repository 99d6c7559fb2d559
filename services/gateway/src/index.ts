// @harbor-satellite/gateway: start Ground Control in-process (tests, benchmarks) or via main().
export { startGroundControl } from "./app.js";
export type { GroundControl } from "./app.js";
export { parseConfig, ConfigError, SERVICE_NAMES } from "./config.js";
export type { GatewayConfig, ServiceName } from "./config.js";
export { main } from "./main.js";
