// The agent under a sync policy whose only window is closed now, with in-process stand-ins for
// Harbor (the OCI client's fake registry) and Ground Control (the fake Connect Ground Control):
// the first pass takes the policy before replicating, so no layer is fetched; the heartbeat says
// when the next window opens; with check_state_outside_window=false no further pass reads state.
import { describe, expect, it } from "vitest";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { startAgent } from "./agent.js";
import { TOKEN, useAgentWorld } from "./testing/agent-test-kit.js";

const w = useAgentWorld({ name: "agent-windows", logLevel: "debug" });

/** A window opening two hours from now (UTC, whole minutes) for one minute: closed now. */
function closedWindow(now: number) {
  const opens = Math.ceil((now + 2 * 3_600_000) / 60_000) * 60_000;
  return { opens, window: { start: new Date(opens).toISOString().slice(11, 16), duration: "1m" } };
}

describe("satellite agent outside its sync windows", () => {
  it("fetches no layer, says when the next window opens, and reads no state while check_state_outside_window is off", async () => {
    seedImage(w.registry, "library/nginx", "1", [Buffer.alloc(2 << 20, 7)]);
    const { opens, window } = closedWindow(Date.now());
    const config = {
      app_config: {
        state_replication_interval: "@every 1s",
        heartbeat_interval: "@every 1s",
        sync_policy: { windows: [window], check_state_outside_window: false },
      },
    };
    const { configDigest } = w.publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] }, config);
    expect(configDigest).toMatch(/^sha256:/);
    w.agent = await startAgent(
      w.args("--token", TOKEN),
      w.deps({ metrics: { collect: async () => ({ cpuPercent: 1, memoryUsedBytes: 1n, storageUsedBytes: 1n }) } }),
    );
    const line = `outside sync window, next window at ${new Date(opens).toISOString()}`;
    const beat = await w.waitFor(
      w.lastSyncWith((s) => s.activity.includes(line)),
      "a heartbeat saying the window is closed",
    );
    expect(beat.cachedImages).toEqual([]);
    const blobGets = () => w.registry.requests.filter((r) => r.method === "GET" && r.path.includes("/blobs/"));
    const stateReads = () => w.registry.requests.filter((r) => r.path.includes("/satellite-state/")).length;
    // Only the small state artifacts' blobs were read; no layer of library/nginx.
    expect(blobGets().filter((r) => r.path.startsWith("/v2/library/"))).toEqual([]);
    // Passes keep their 1 s schedule but read nothing while the window is closed.
    const reads = stateReads();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(stateReads()).toBe(reads);
    expect(w.captured.text()).not.toMatch(/"msg":"state pass failed/);
  });
});
