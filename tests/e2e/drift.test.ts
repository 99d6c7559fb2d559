// The drift view against every part real: PostgreSQL, docker-registry behind the Harbor emulator,
// a `ground-control` process and a `satellite` process sending real heartbeats. The satellite
// reaches IN_SYNC; a group change asking for a tag Harbor does not have makes it FAILING with that
// image and the satellite's own error; the change undone brings it back IN_SYNC; once it stops,
// it goes STALE. A satellite never started stays NEVER_SEEN, and the list filters by state.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DriftState,
  Health,
  ImageDriftKind,
  type SatelliteDrift,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { freePort } from "@harbor-satellite/testkit";
import type { AdminClients } from "./agent-helpers.js";
import { FAST_CONFIG, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, startProcess, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "e2e-drift-admin-password";
const WEB = [
  { repository: "apps/nginx", tags: ["1.27"] },
  { repository: "apps/alpine", tags: ["3.20"] },
];

describe("drift view, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let admin: AdminClients;
  let satPort: number;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "drift-e2e",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20"],
      layerSizes: [32 << 10],
      adminPassword: ADMIN_PASSWORD,
    });
    admin = stack.admin;
    satPort = await freePort();

    await admin.fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST_CONFIG) });
    await admin.fleet.createGroup({ group: "web", artifacts: WEB });
    await admin.fleet.createSatellite({ satellite: "edge-1", region: "eu-west", groups: ["web"], config: "fast" });
    await admin.fleet.createSatellite({ satellite: "edge-2", region: "eu-west", groups: ["web"], config: "fast" });
    const { token } = await admin.identity.issueZtrToken({ satellite: "edge-1" });
    sat = startProcess(
      "satellite",
      [
        "--ground-control-url",
        stack.gcUrl,
        "--token-file",
        await tokenFile(stack.work, token),
        "--data-dir",
        join(stack.work, "satellite"),
        "--registry-addr",
        `127.0.0.1:${satPort}`,
      ],
      { LOG_LEVEL: "warn" },
    );
  });

  afterAll(async () => {
    await sat?.stop();
    await stack?.stop();
  });

  const drift = async (satellite = "edge-1") => (await admin.heartbeat.getSatelliteDrift({ satellite })).drift!;
  /** Waits for edge-1's verdict to be `state`, noting every other state seen on the way. */
  const until = async (
    state: DriftState,
    what: string,
    check: (d: SatelliteDrift) => boolean = () => true,
    seen?: Set<DriftState>,
  ) =>
    eventually(
      async () => {
        if (sat && sat.proc.exitCode !== null)
          throw new GiveUp(`satellite exited with ${sat.proc.exitCode}: ${sat.output()}`);
        const d = await drift();
        seen?.add(d.state);
        if (d.state !== state || !check(d)) throw new Error(`${DriftState[d.state]}: ${d.reason}`);
        return d;
      },
      120_000,
      what,
    );

  it("shows a satellite that replicated its groups' images as IN_SYNC, and one never started as NEVER_SEEN", async () => {
    // Judged on its pass of the desired state: a heartbeat sent while the first pass runs lists the
    // images already but no state digest yet, which the verdict reads as an original satellite's.
    const d = await until(
      DriftState.IN_SYNC,
      "edge-1 in sync",
      (v) => v.reportedStateDigest !== "" && v.reportedStateDigest === v.desiredStateDigest,
    );
    expect(d).toMatchObject({
      satellite: "edge-1",
      region: "eu-west",
      health: Health.ONLINE,
      groups: ["web"],
      desiredImageCount: 2,
      imageDriftCount: 0,
      images: [],
      publishPending: false,
    });
    expect(d.desiredStateDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.reportedStateDigest).toBe(d.desiredStateDigest);
    expect(d.reason).toBe("all 2 desired images held");
    expect(await drift("edge-2")).toMatchObject({
      state: DriftState.NEVER_SEEN,
      health: Health.NEVER_SEEN,
      reason: "no heartbeat yet",
    });

    const listed = async (state: DriftState) =>
      (await admin.heartbeat.listSatelliteDrift({ state, region: "eu-west" })).satellites.map((s) => s.satellite);
    expect(await listed(DriftState.IN_SYNC)).toEqual(["edge-1"]);
    expect(await listed(DriftState.NEVER_SEEN)).toEqual(["edge-2"]);
    expect(await listed(DriftState.FAILING)).toEqual([]);
    const all = await admin.heartbeat.listSatelliteDrift({ group: "web", page: { pageSize: 1 } });
    expect(all.satellites.map((s) => s.satellite)).toEqual(["edge-1"]);
    expect(all.page?.totalSize).toBe(2n);
    const next = await admin.heartbeat.listSatelliteDrift({
      group: "web",
      page: { pageSize: 1, pageToken: all.page!.nextPageToken },
    });
    expect(next.satellites.map((s) => s.satellite)).toEqual(["edge-2"]);
    expect(next.page?.nextPageToken).toBe("");
  });

  it("turns FAILING with the image and the satellite's error when its group asks for a tag Harbor does not have", async () => {
    const before = await drift();
    await admin.fleet.updateGroup({
      group: "web",
      artifacts: [{ repository: "apps/nginx", tags: ["1.27", "9.99"] }, WEB[1]],
    });
    const seen = new Set<DriftState>();
    const d = await until(
      DriftState.FAILING,
      "edge-1 failing on apps/nginx:9.99",
      (x) => x.images.some((i) => i.reference === "apps/nginx:9.99"),
      seen,
    );
    // The satellite applied the new state (its pass did what it could): judged at once.
    expect(d.desiredStateDigest).not.toBe(before.desiredStateDigest);
    expect(d.reportedStateDigest).toBe(d.desiredStateDigest);
    expect(d.desiredImageCount).toBe(3);
    expect(d.images).toHaveLength(1);
    expect(d.images[0]).toMatchObject({
      reference: "apps/nginx:9.99",
      kind: ImageDriftKind.ERROR,
      groups: ["web"],
      cachedDigest: "",
    });
    expect(d.images[0].message).not.toBe("");
    expect(d.reason).toMatch(/^1 of 3 images drifted: apps\/nginx:9\.99: /);
    expect(
      [...seen].every((s) => s === DriftState.IN_SYNC || s === DriftState.CONVERGING || s === DriftState.FAILING),
    ).toBe(true);
    expect(
      (await admin.heartbeat.listSatelliteDrift({ state: DriftState.FAILING })).satellites.map((s) => s.satellite),
    ).toEqual(["edge-1"]);
  });

  it("comes back IN_SYNC once the group no longer asks for it", async () => {
    const failing = await drift();
    await admin.fleet.updateGroup({ group: "web", artifacts: WEB });
    const d = await until(DriftState.IN_SYNC, "edge-1 in sync again", (x) => x.desiredImageCount === 2);
    expect(d.desiredStateDigest).not.toBe(failing.desiredStateDigest);
    expect(d.reportedStateDigest).toBe(d.desiredStateDigest);
  });

  it("goes STALE once the satellite stops sending heartbeats", async () => {
    expect(await sat!.stop()).toBe(0);
    sat = undefined;
    const d = await until(DriftState.STALE, "edge-1 stale");
    expect(d).toMatchObject({ health: Health.STALE, images: [], imageDriftCount: 0 });
    expect(d.reason).toMatch(/^no heartbeat since .* \(3 intervals of 2 s\)$/);
  });
});

async function tokenFile(dir: string, token: string): Promise<string> {
  const path = join(dir, "ztr-token");
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}
