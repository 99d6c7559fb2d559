// SATELLITE_STATE_IN_HARBOR, for fleets that still run original Go satellites: their mandatory
// --harbor-registry-url rewrites the host of every state URL to Harbor's, so they read their
// satellite state from Harbor, not from Ground Control. With the mode on, Ground Control (fleet →
// registry service, real PostgreSQL, the Harbor emulator on a real docker-registry) also pushes
// each satellite state to Harbor, where skopeo with the satellite's robot finds it. That copy is
// the original form (group and config URLs tagged `:latest`, since original satellites track groups
// by URL), where Ground Control serves URLs pinned by digest, so the two digests differ. The copy
// an earlier version left is kept, DeleteState removes both, and a replica started with the mode
// off deletes the copy at that satellite's next publish.
import { createHarborClient } from "@harbor-satellite/harbor";
import { pushImage, type SyntheticImage } from "@harbor-satellite/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GC_ADMIN,
  HARBOR_ADMIN,
  pushOneImage,
  startGroundControl,
  startServedGroundControl,
  startStateEndpoint,
  type GroundControl,
  type StateEndpoint,
  type World,
} from "./harness.js";
import { skopeo } from "./skopeo.js";
import { readState } from "./state-artifacts.js";

const REPO = (satellite: string) => `satellite/satellite-state/${satellite}/state`;
const PINNED = /@sha256:[0-9a-f]{64}$/;
type StateJson = { states: string[]; config?: string };

describe("satellite states also in Harbor, for original Go satellites (SATELLITE_STATE_IN_HARBOR)", () => {
  let world: World;
  let gc: GroundControl;
  let endpoint: StateEndpoint;
  let image: SyntheticImage;
  let pushed: Awaited<ReturnType<typeof pushOneImage>> | undefined;
  const creds = new Map<string, string>();

  beforeAll(async () => {
    // The last test restarts Ground Control with the mode off: afterAll stops whichever runs then.
    ({ world, gc, endpoint } = await startServedGroundControl({
      satelliteStateInHarbor: true,
      projects: ["team-a", "satellite"],
    }));
    ({ image } = pushed = await pushOneImage(world, ["team-a/app"], 1024));
  });
  afterAll(async () => {
    await endpoint?.close();
    await gc?.stop();
    await world?.stop();
    await pushed?.removeBlobs();
  });

  const robot = async (satellite: string) => {
    const { robot, secret } = await gc.registry.rotateRobotSecret({ satellite });
    creds.set(satellite, `${robot?.name}:${secret}`);
    return { username: robot?.name ?? "", password: secret };
  };
  /** skopeo inspect of a satellite state in Harbor (the emulator's registry), as `creds`. */
  const inspectInHarbor = (satellite: string, as: string) =>
    skopeo([
      "inspect",
      "--creds",
      as,
      "--tls-verify=false",
      `docker://${world.emulator.host}/${REPO(satellite)}:latest`,
    ]);
  const harborTags = async (satellite: string) => {
    const artifacts = await createHarborClient({ url: world.emulator.url, ...HARBOR_ADMIN }).listArtifacts(
      "satellite",
      `satellite-state/${satellite}/state`,
    );
    return artifacts.flatMap((a) => (a.tags ?? []).map((t) => t.name ?? "")).sort();
  };

  it("pushes the satellite state to Harbor in the original form (tag URLs), where skopeo with the satellite's robot finds it; Ground Control serves the pinned form", async () => {
    // A copy an earlier Ground Control pushed: kept, not deleted, on the first store.
    await pushImage(world.emulator.url, REPO("sat-go"), "1600000000", image, HARBOR_ADMIN);
    await gc.fleet.createGroup({
      group: "group-a",
      artifacts: [{ repository: "team-a/app", tags: ["1"], digest: "", type: "" }],
    });
    await gc.fleet.createSatellite({ satellite: "sat-go", groups: ["group-a"] });
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);

    const robotCreds = await robot("sat-go");
    const served = await readState(endpoint.url, REPO("sat-go"), robotCreds);
    const inspect = await inspectInHarbor("sat-go", creds.get("sat-go") ?? "");
    expect(inspect.ok, inspect.stderr).toBe(true);
    const inHarbor = JSON.parse(inspect.stdout) as { Digest: string; RepoTags: string[] };
    expect(inHarbor.RepoTags).toContain("latest");
    expect(inHarbor.RepoTags).toContain("1600000000");
    expect(inHarbor.RepoTags.filter((t) => /^\d{10}$/.test(t) && t !== "1600000000")).toHaveLength(1);
    // What an original satellite's crane.Pull + Export reads from Harbor: the same groups and
    // config as Ground Control serves, named by tag, so another document with another digest.
    const pulled = await readState(world.emulator.url, REPO("sat-go"), robotCreds);
    expect(pulled.digest).toBe(inHarbor.Digest);
    expect(inHarbor.Digest).not.toBe(served.digest);
    const [own, copy] = [served.json as StateJson, pulled.json as StateJson];
    expect(own.states).toEqual([
      expect.stringMatching(/\/satellite\/group-state\/group-a\/state@sha256:[0-9a-f]{64}$/),
    ]);
    expect(copy.states).toEqual([`${world.harbor.url}/satellite/group-state/group-a/state:latest`]);
    expect(copy.states).toEqual(own.states.map((url) => url.replace(PINNED, ":latest")));
    expect(own.config).toMatch(/\/satellite\/config-state\/[^/]+\/state@sha256:[0-9a-f]{64}$/);
    expect(copy.config).toBe(own.config?.replace(PINNED, ":latest"));
    expect(Object.keys(copy)).toEqual(Object.keys(own));
  });

  it("a group's new content changes the digest Ground Control serves, while the Harbor copy keeps naming the group by the same URL, whose latest has the new content", async () => {
    const robotCreds = await robot("sat-go");
    const [servedBefore, copyBefore] = await Promise.all([
      readState(endpoint.url, REPO("sat-go"), robotCreds),
      readState(world.emulator.url, REPO("sat-go"), robotCreds),
    ]);
    await pushImage(world.emulator.url, "team-a/app", "2", image, HARBOR_ADMIN);
    await gc.fleet.updateGroup({
      group: "group-a",
      artifacts: [{ repository: "team-a/app", tags: ["2"], digest: "", type: "" }],
    });
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);

    const [served, copy] = await Promise.all([
      readState(endpoint.url, REPO("sat-go"), robotCreds),
      readState(world.emulator.url, REPO("sat-go"), robotCreds),
    ]);
    expect(served.digest).not.toBe(servedBefore.digest);
    // So an original satellite diffs group-a's old images against its new ones, and deletes tag 1.
    expect(copy.digest).toBe(copyBefore.digest);
    expect(copy.json).toEqual(copyBefore.json);
    const group = await readState(world.emulator.url, "satellite/group-state/group-a/state", robotCreds);
    expect((group.json as { artifacts: Array<{ tag: string[] }> }).artifacts.map((a) => a.tag)).toEqual([["2"]]);
  });

  it("costs what the warning says: another satellite's robot reads it in Harbor, while Ground Control still refuses it", async () => {
    await gc.fleet.createSatellite({ satellite: "sat-other" });
    await gc.fleetModule.publisher.flush();
    await robot("sat-other");
    const other = creds.get("sat-other") ?? "";
    const inHarbor = await inspectInHarbor("sat-go", other);
    expect(inHarbor.ok, inHarbor.stderr).toBe(true);
    const onGroundControl = await skopeo([
      "inspect",
      "--creds",
      other,
      "--tls-verify=false",
      `docker://${endpoint.host}/${REPO("sat-go")}:latest`,
    ]);
    expect(onGroundControl.ok).toBe(false);
    expect(onGroundControl.stderr).toMatch(/denied/);
  });

  it("deletes both copies with the satellite", async () => {
    expect(await harborTags("sat-other")).toContain("latest");
    await gc.fleet.deleteSatellite({ satellite: "sat-other" });
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);
    const inHarbor = await inspectInHarbor("sat-other", `${HARBOR_ADMIN.username}:${HARBOR_ADMIN.password}`);
    expect(inHarbor.ok).toBe(false);
    expect(inHarbor.stderr).toMatch(/manifest unknown|not found|name unknown/i);
    const gone = await readState(endpoint.url, REPO("sat-other"), GC_ADMIN).then(() => "present", String);
    expect(gone).toMatch(/404|MANIFEST_UNKNOWN|NAME_UNKNOWN/);
  });

  it("turned off, deletes the Harbor copy at the satellite's next publish and keeps serving from Ground Control", async () => {
    await endpoint.close();
    await gc.stop();
    gc = await startGroundControl(world);
    endpoint = await startStateEndpoint(gc);
    await gc.fleet.createGroup({
      group: "group-b",
      artifacts: [{ repository: "team-a/app", tags: ["1"], digest: "", type: "" }],
    });
    await gc.fleet.assignGroup({ satellite: "sat-go", group: "group-b" });
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);

    const inspect = await inspectInHarbor("sat-go", creds.get("sat-go") ?? "");
    expect(inspect.ok).toBe(false);
    expect(inspect.stderr).toMatch(/manifest unknown|not found|name unknown/i);
    const [user, password] = (creds.get("sat-go") ?? "").split(":");
    const served = await readState(endpoint.url, REPO("sat-go"), { username: user, password });
    expect((served.json as { states: string[] }).states).toHaveLength(2);
  });
});
