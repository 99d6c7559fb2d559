import { describe, expect, it, vi } from "vitest";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { AgentState, Traced } from "./agent-state.js";
import { createPassJob } from "./pass-job.js";

const refused = Object.assign(new Error("unauthorized"), { status: 401 });
const traced: Traced = (_name, _attributes, fn) => fn();

function world(run: (state: AgentState) => Promise<never>) {
  const state: AgentState = {
    config: { state_config: { auth: { username: "robot$edge", password: "first" } } } as SatelliteConfig,
    heartbeatsSent: 0,
    passes: 0,
    lastPassOutcome: "",
  };
  const onFailure = vi.fn();
  const job = createPassJob({
    state,
    replicator: { run: () => run(state) },
    syncGate: { isOpen: () => true, checksStateOutsideWindow: () => true },
    credentials: { passSucceeded: () => {} },
    traced,
    now: () => 0,
    triggerHeartbeat: () => {},
    onFailure,
    onSuccess: () => {},
  });
  return { job, onFailure };
}

describe("the state-replication job", () => {
  it("hands a refusal of the credentials it ran with to the agent", async () => {
    const { job, onFailure } = world(() => Promise.reject(refused));
    await expect(job(new AbortController().signal)).rejects.toBe(refused);
    expect(onFailure).toHaveBeenCalledWith(refused);
  });

  it("does not report a refusal of credentials replaced while it ran (a new enrolment came meanwhile)", async () => {
    const { job, onFailure } = world(async (state) => {
      state.config = {
        ...state.config,
        state_config: { ...state.config.state_config, auth: { ...state.config.state_config.auth, password: "fresh" } },
      };
      throw refused;
    });
    await expect(job(new AbortController().signal)).rejects.toBe(refused);
    expect(onFailure).not.toHaveBeenCalled();
  });
});
