// What the agent's jobs share and change, in one record rather than in variables of a closure:
// the config in force, the name Ground Control gave, and the counters status() reports.
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { JobStatus } from "../scheduler/job.js";
import type { StepResult } from "../telemetry/root-step.js";
import type { AgentPhase } from "./lifecycle.js";

export interface AgentState {
  config: SatelliteConfig;
  /** The name Ground Control gave at enrolment, when this process enrolled. */
  satelliteName?: string;
  /** The runtime-mirror outcome, until a heartbeat carrying it got through. */
  pendingActivity?: string;
  heartbeatsSent: number;
  passes: number;
  /** The last pass's outcome line: a change of it triggers a heartbeat. */
  lastPassOutcome: string;
}

/** A root span around one step of a job (telemetry/spans.ts rootStep, named for this satellite). */
export type Traced = <T>(
  name: string,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
  result: StepResult<T>,
) => Promise<T>;

export interface AgentStatus {
  registryUrl: string;
  phase: AgentPhase;
  enrolled: boolean;
  satellite?: string;
  heartbeatsSent: number;
  passes: number;
  jobs: Record<string, JobStatus>;
  config: SatelliteConfig;
}

export interface RunningAgent {
  readonly registryUrl: string;
  status(): AgentStatus;
  /** Resolves once the satellite holds an enrolment: how it got it ("saved", or "ztr as <name>"). */
  readonly enrolled: Promise<string>;
  stop(): Promise<void>;
}

export const redactedConfig = (config: SatelliteConfig): SatelliteConfig => ({
  ...config,
  state_config: {
    ...config.state_config,
    auth: { ...config.state_config.auth, password: config.state_config.auth.password ? "[redacted]" : "" },
  },
});
