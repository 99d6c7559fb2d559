// The satellite agent (`satellite` with no subcommand; src/commands/agent.ts runs it).
//   agent-options      flags and the original's environment variables → AgentOptions (UsageError on mistakes)
//   agent-config       the starting config: saved one or defaults, flags laid over and pinned; needs ZTR?
//   config-at-rest     <data-dir>/config.json sealed to the device; discarded on another device or tampering
//   agent              startAgent: local registry first, then registration → state replication + heartbeat
//   ground-control-client  TokenZtr/SpiffeZtr and Sync over Connect (robot Basic, or SVID mTLS per call)
//   state-replication  one state pass with the current credentials, and what the heartbeat says about it
//   heartbeat          every SyncRequest field; cached-images lists the local registry
//   config-updates     a config-state artifact applied live (intervals, log level, registry address)
//   local-registry     the registry server, movable without a gap
export { startAgent, CONFIG_FILE } from "./agent.js";
export type { AgentDeps } from "./agent.js";
export type { AgentStatus, RunningAgent } from "./agent-state.js";
export { parseAgentArgs, AGENT_HELP, DEFAULT_DATA_DIR, DEFAULT_REGISTRY_ADDR } from "./agent-options.js";
export type { AgentOptions } from "./agent-options.js";
export { createGroundControlClient, GroundControlError } from "./ground-control-client.js";
export type { GroundControlClient, GroundControlClientOptions, Enrolment, Heartbeat } from "./ground-control-client.js";
export { APPLIED_STATE_FILE } from "./state-replication.js";
