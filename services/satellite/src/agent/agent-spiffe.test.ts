// The agent in SPIFFE mode: its SVID comes from a Workload API (the testkit's fake, real gRPC
// over a unix socket), Ground Control is the in-process Connect Ground Control serving mTLS with
// its own SVID (and the satellite state, as the real one does), Harbor the OCI client's fake
// registry. The SPIFFE end to end with real processes belongs to the gateway's mTLS listener.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { createStaticX509Source, X509BundleSet, type MutableX509Source } from "@harbor-satellite/spiffe";
import type { Logger } from "@harbor-satellite/telemetry";
import { FakeWorkloadApi, TestCA } from "@harbor-satellite/testkit/spiffe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { stateDocuments, stateImage } from "@harbor-satellite/testkit";
import { startAgent } from "./agent.js";
import type { RunningAgent } from "./agent-state.js";
import { agentArgs, agentDeps, captureLogs, waitUntil, type CapturedLogs } from "./testing/agent-test-kit.js";
import { startFakeGroundControl, type FakeEnrolment, type FakeGroundControl } from "./testing/fake-ground-control.js";

const TD = "harbor-satellite.local";
const SATELLITE_ID = `spiffe://${TD}/satellite/region/eu/edge`;
const ROBOT = { username: "robot$edge", password: "current-secret" };

let ca: TestCA;
let workload: FakeWorkloadApi;
let gcSource: MutableX509Source;
let registry: FakeRegistry;
let gc: FakeGroundControl;
let dir: string;
let agent: RunningAgent | undefined;
let captured: CapturedLogs;
let logger: Logger;
let enrolments: number;
let firstPassword: string;

beforeAll(async () => {
  ca = await TestCA.create(TD);
  workload = await FakeWorkloadApi.start();
  workload.setIdentity({ svids: [await ca.issueSvid(SATELLITE_ID)], bundle: ca.bundle() });
  gcSource = createStaticX509Source({
    svid: await ca.issueSvid(`spiffe://${TD}/gc/main`),
    bundles: new X509BundleSet([ca.bundle()]),
  });
});
afterAll(async () => {
  await gcSource?.close();
  await workload?.stop();
});

beforeEach(async () => {
  registry = await startFakeRegistry({ mode: "bearer", ...ROBOT });
  enrolments = 0;
  firstPassword = ROBOT.password;
  const satellite = stateImage(stateDocuments.satellite([`${registry.url}/satellite/group-state/web/state:latest`]));
  const state = {
    repository: "satellite/satellite-state/edge/state",
    manifest: satellite.manifest,
    mediaType: satellite.mediaType,
    blobs: satellite.blobs,
  };
  gc = await startFakeGroundControl({
    enrolment: () => enrolment(),
    tls: { source: gcSource, trustDomain: TD },
    state,
  });
  const enrolment = (): FakeEnrolment => ({
    satellite: "edge",
    stateUrl: `${gc.url}/satellite/satellite-state/edge/state:latest`,
    harborUrl: registry.url,
    username: ROBOT.username,
    password: enrolments++ === 0 ? firstPassword : ROBOT.password,
  });
  dir = await mkdtemp(join(tmpdir(), "agent-spiffe-"));
  captured = captureLogs("info");
  logger = captured.logger;
  const nginx = seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
  const group = stateImage(stateDocuments.group("web", registry.url, [{ repository: "library/nginx", tag: ["1"] }]));
  for (const blob of group.blobs) registry.putBlob(blob);
  registry.putManifest("satellite/group-state/web/state", "latest", group.manifest, group.mediaType);
  expect(nginx.digest).toMatch(/^sha256:/);
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await gc.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

const start = () =>
  startAgent(
    agentArgs(gc.url, dir, "--spiffe-enabled", "--spiffe-endpoint-socket", workload.address),
    agentDeps(logger),
  );

const waitFor = (check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number) =>
  waitUntil(check, what, { timeoutMs, logs: captured.text });
const served = async () =>
  (await fetch(`${agent!.registryUrl}/v2/library/nginx/manifests/1`, { method: "HEAD" })).status === 200;

describe("satellite agent in SPIFFE mode", () => {
  it("enrols and heartbeats over mTLS with the SVID from the Workload API, never sending credentials to Ground Control", async () => {
    agent = await start();
    expect(await agent.enrolled).toBe("ztr as edge");
    await waitFor(served, "image replicated");
    await waitFor(
      () => gc.calls.some((c) => c.rpc === "Sync" && c.sync!.cachedImages.length === 1),
      "a heartbeat with the image",
    );
    expect(gc.calls.map((c) => [c.rpc, c.peer, c.authorization])).toContainEqual([
      "SpiffeZtr",
      SATELLITE_ID,
      undefined,
    ]);
    expect(
      gc.calls.filter((c) => c.rpc === "Sync").every((c) => c.peer === SATELLITE_ID && c.authorization === undefined),
    ).toBe(true);
    // The satellite state came from Ground Control over the same mTLS, the SVID its only credential.
    const stateReads = gc.calls.filter((c) => c.rpc === "State");
    expect(stateReads.length).toBeGreaterThan(0);
    expect(stateReads.every((c) => c.peer === SATELLITE_ID && c.authorization === undefined)).toBe(true);
    expect(registry.requests.some((r) => r.path.includes("satellite-state"))).toBe(false);
    expect(captured.text()).not.toContain(ROBOT.password);
  });

  it("enrols again over SPIFFE when Harbor refuses the robot secret it was given", async () => {
    firstPassword = "stale-secret";
    agent = await start();
    await waitFor(served, "image replicated with the fresh secret");
    expect(gc.calls.filter((c) => c.rpc === "SpiffeZtr")).toHaveLength(2);
    expect(captured.text()).toContain("enrolling again over SPIFFE");
    expect(captured.text()).not.toContain("stale-secret");
  });
});
