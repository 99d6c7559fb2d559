// The agent's phases and what moves it between them, in one table (nextPhase):
//
//   enrolling ──enrolled──▶ steady ◀──enrolled── re-enrolling      (SPIFFE: Harbor refused the robot)
//                             │  ▲                     ▲
//                             │  └─enrolled / credentials-accepted── needs-enrolment  (token mode)
//                             └──harbor-refused──────────┴──────────────▲
//   any phase ──stop──▶ stopped
//
// enrolling: no enrolment yet (ZTR token or SPIFFE); only the registration job runs, and the
// registry serves what the store holds. steady: the heartbeat and state-replication jobs run.
// re-enrolling (SPIFFE): Harbor refused the robot credentials; the satellite enrols again with
// its identity while the steady jobs go on. needs-enrolment (token mode): Harbor refused them
// again after an answer that brought no rotated secret; every heartbeat says so until Ground
// Control hands one over (a pass then succeeds) or an operator enrols the satellite again.
// This module only decides; the agent acts on entering a phase (agent.ts).

export type AgentPhase = "enrolling" | "steady" | "re-enrolling" | "needs-enrolment" | "stopped";

export type AgentEvent =
  /** Enrolment succeeded. */
  | "enrolled"
  /** Harbor answered 401 to the robot credentials (token mode: and no rotated secret came). */
  | "harbor-refused"
  /** A pass went through with the credentials held. */
  | "credentials-accepted"
  | "stop";

export type IdentityMode = "token" | "spiffe";

/** The phase after `event` in `phase`: the same phase when the event changes nothing there. */
export function nextPhase(phase: AgentPhase, event: AgentEvent, mode: IdentityMode): AgentPhase {
  if (event === "stop" || phase === "stopped") return "stopped";
  switch (phase) {
    case "enrolling":
      return event === "enrolled" ? "steady" : phase;
    case "steady":
      if (event !== "harbor-refused") return phase;
      return mode === "spiffe" ? "re-enrolling" : "needs-enrolment";
    case "re-enrolling":
      // Only a new enrolment ends it: the registration job runs until it succeeds.
      return event === "enrolled" ? "steady" : phase;
    case "needs-enrolment":
      return event === "enrolled" || event === "credentials-accepted" ? "steady" : phase;
  }
}

export interface Lifecycle {
  readonly phase: AgentPhase;
  /** Applies an event; `onEnter` runs when the phase changes. */
  fire(event: AgentEvent): AgentPhase;
}

export function createLifecycle(
  start: AgentPhase,
  mode: IdentityMode,
  onEnter: (phase: AgentPhase, from: AgentPhase) => void,
): Lifecycle {
  let phase = start;
  return {
    get phase() {
      return phase;
    },
    fire(event) {
      const from = phase;
      phase = nextPhase(phase, event, mode);
      if (phase !== from) onEnter(phase, from);
      return phase;
    },
  };
}
