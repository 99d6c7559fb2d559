// The agent under a sync policy whose only window is closed now, with in-process stand-ins for
// Harbor (the OCI client's fake registry) and Ground Control (the fake Connect Ground Control):
// the first pass takes the policy before replicating, so no layer is fetched; the heartbeat says
// when the next window opens; with check_state_outside_window=false no further pass reads state.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { stateDocuments } from "@harbor-satellite/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { startAgent } from "./agent.js";
import type { RunningAgent } from "./agent-state.js";
import { parseAgentArgs } from "./agent-options.js";
import { captureLogs, publishDocument, waitUntil, type CapturedLogs } from "./testing/agent-test-kit.js";
import { startFakeGroundControl, type FakeGroundControl } from "./testing/fake-ground-control.js";

const ROBOT = { username: "robot$edge", password: "robot-pass-93x" };
const TOKEN = "feedfacefeedfacefeedfacefeedface";

let registry: FakeRegistry;
let gc: FakeGroundControl;
let dir: string;
let agent: RunningAgent | undefined;
let captured: CapturedLogs;

beforeEach(async () => {
  registry = await startFakeRegistry({ mode: "bearer", ...ROBOT });
  gc = await startFakeGroundControl({
    enrolment: {
      satellite: "edge",
      stateUrl: `${registry.url}/satellite/satellite-state/edge/state:latest`,
      harborUrl: registry.url,
      ...ROBOT,
    },
    validToken: TOKEN,
  });
  dir = await mkdtemp(join(tmpdir(), "agent-windows-"));
  captured = captureLogs("debug");
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await gc.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

/** A window opening two hours from now (UTC, whole minutes) for one minute: closed now. */
function closedWindow(now: number) {
  const opens = Math.ceil((now + 2 * 3_600_000) / 60_000) * 60_000;
  return { opens, window: { start: new Date(opens).toISOString().slice(11, 16), duration: "1m" } };
}

describe("satellite agent outside its sync windows", () => {
  it("fetches no layer, says when the next window opens, and reads no state while check_state_outside_window is off", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.alloc(2 << 20, 7)]);
    const { opens, window } = closedWindow(Date.now());
    const config = {
      app_config: {
        state_replication_interval: "@every 1s",
        heartbeat_interval: "@every 1s",
        sync_policy: { windows: [window], check_state_outside_window: false },
      },
    };
    const configDigest = publishDocument(registry, "satellite/config-state/edge/state", JSON.stringify(config));
    publishDocument(
      registry,
      "satellite/group-state/web/state",
      stateDocuments.group("web", registry.url, [{ repository: "library/nginx", tag: ["1"] }]),
    );
    publishDocument(
      registry,
      "satellite/satellite-state/edge/state",
      stateDocuments.satellite(
        [`${registry.url}/satellite/group-state/web/state:latest`],
        `${registry.url}/satellite/config-state/edge/state:latest`,
      ),
    );
    expect(configDigest).toMatch(/^sha256:/);
    agent = await startAgent(
      parseAgentArgs(
        ["--ground-control-url", gc.url, "--data-dir", dir, "--registry-addr", "127.0.0.1:0", "--token", TOKEN],
        {},
      ),
      {
        logger: captured.logger,
        fingerprint: async () => "device-a",
        scrypt: { N: 1024, r: 8, p: 1 },
        workerThreads: 1,
        upstreamRetry: { attempts: 1 },
        metrics: { collect: async () => ({ cpuPercent: 1, memoryUsedBytes: 1n, storageUsedBytes: 1n }) },
      },
    );
    const line = `outside sync window, next window at ${new Date(opens).toISOString()}`;
    const beat = await waitUntil(
      () =>
        gc.calls
          .filter((c) => c.rpc === "Sync")
          .map((c) => c.sync!)
          .findLast((s) => s.activity.includes(line)),
      "a heartbeat saying the window is closed",
      { logs: captured.text },
    );
    expect(beat.cachedImages).toEqual([]);
    const blobGets = () => registry.requests.filter((r) => r.method === "GET" && r.path.includes("/blobs/"));
    const stateReads = () => registry.requests.filter((r) => r.path.includes("/satellite-state/")).length;
    // Only the small state artifacts' blobs were read; no layer of library/nginx.
    expect(blobGets().filter((r) => r.path.startsWith("/v2/library/"))).toEqual([]);
    // Passes keep their 1 s schedule but read nothing while the window is closed.
    const reads = stateReads();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(stateReads()).toBe(reads);
    expect(captured.text()).not.toMatch(/"msg":"state pass failed/);
  });
});
