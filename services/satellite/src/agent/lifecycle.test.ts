import { describe, expect, it } from "vitest";
import { createLifecycle, nextPhase, type AgentEvent, type AgentPhase } from "./lifecycle.js";

const PHASES: AgentPhase[] = ["enrolling", "steady", "re-enrolling", "needs-enrolment", "stopped"];
const EVENTS: AgentEvent[] = ["enrolled", "harbor-refused", "credentials-accepted", "stop"];

describe("the agent's phases", () => {
  it("moves only along the table, in both identity modes", () => {
    const table = (mode: "token" | "spiffe") =>
      Object.fromEntries(
        PHASES.map((phase) => [phase, Object.fromEntries(EVENTS.map((e) => [e, nextPhase(phase, e, mode)]))]),
      );
    expect(table("spiffe")).toEqual({
      enrolling: {
        enrolled: "steady",
        "harbor-refused": "enrolling",
        "credentials-accepted": "enrolling",
        stop: "stopped",
      },
      steady: {
        enrolled: "steady",
        "harbor-refused": "re-enrolling",
        "credentials-accepted": "steady",
        stop: "stopped",
      },
      "re-enrolling": {
        enrolled: "steady",
        "harbor-refused": "re-enrolling",
        "credentials-accepted": "re-enrolling",
        stop: "stopped",
      },
      "needs-enrolment": {
        enrolled: "steady",
        "harbor-refused": "needs-enrolment",
        "credentials-accepted": "steady",
        stop: "stopped",
      },
      stopped: { enrolled: "stopped", "harbor-refused": "stopped", "credentials-accepted": "stopped", stop: "stopped" },
    });
    // Token mode differs in one place: a refusal needs a new secret, not a new enrolment by itself.
    expect(nextPhase("steady", "harbor-refused", "token")).toBe("needs-enrolment");
    for (const phase of PHASES)
      for (const event of EVENTS)
        if (!(phase === "steady" && event === "harbor-refused"))
          expect(nextPhase(phase, event, "token"), `${phase} ${event}`).toBe(nextPhase(phase, event, "spiffe"));
  });

  it("tells what it enters, once per change", () => {
    const entered: string[] = [];
    const lifecycle = createLifecycle("enrolling", "spiffe", (phase, from) => entered.push(`${from}→${phase}`));
    for (const event of [
      "harbor-refused",
      "enrolled",
      "enrolled",
      "harbor-refused",
      "harbor-refused",
      "enrolled",
      "stop",
    ] as const)
      lifecycle.fire(event);
    expect(entered).toEqual(["enrolling→steady", "steady→re-enrolling", "re-enrolling→steady", "steady→stopped"]);
    expect(lifecycle.phase).toBe("stopped");
  });
});
