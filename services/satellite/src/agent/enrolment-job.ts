// The registration job: enrols with Ground Control (single-use ZTR token, or SPIFFE with no
// secret at all) until it succeeds, and saves what it got (sealed when encrypt_config is on).
import type { Logger } from "pino";
import type { AgentState, Traced } from "./agent-state.js";
import type { ConfigAtRest } from "./config-at-rest.js";
import type { Enrolment, GroundControlClient } from "./ground-control-client.js";

export interface EnrolmentJobOptions {
  state: AgentState;
  logger: Logger;
  groundControl: Pick<GroundControlClient, "enrol" | "mode">;
  atRest: Pick<ConfigAtRest, "save" | "fingerprint">;
  traced: Traced;
  onEnrolled(enrolment: Enrolment): void;
}

export function createEnrolmentJob(options: EnrolmentJobOptions): (signal: AbortSignal) => Promise<void> {
  const { state, groundControl } = options;
  return async (signal) => {
    // Before the token is spent: saving the result must be possible on this device.
    if (state.config.app_config.encrypt_config) await options.atRest.fingerprint();
    const enrolment = await options.traced(
      "satellite.enrol",
      { "satellite.ztr.mode": groundControl.mode },
      async () => {
        const answer = await groundControl.enrol(signal);
        state.satelliteName = answer.satellite || undefined; // named in the span
        return answer;
      },
      { key: "satellite.enrol.outcome", ok: () => "ok" },
    );
    state.config = { ...state.config, state_config: { auth: enrolment.auth, state: enrolment.stateUrl } };
    state.satelliteName = enrolment.satellite || undefined;
    await options.atRest.save(state.config);
    options.logger.info(
      {
        satellite: enrolment.satellite,
        stateUrl: enrolment.stateUrl,
        robot: enrolment.auth.username,
        mode: groundControl.mode,
      },
      "enrolled with Ground Control",
    );
    options.onEnrolled(enrolment);
  };
}
