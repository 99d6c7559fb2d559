// Ground Control end to end below the gateway: fleet → registry service → Harbor (emulator on a
// real docker-registry) on real PostgreSQL. What an edge satellite will find in Harbor (group and
// config states, images) and on Ground Control's satellite-state endpoint (its own satellite
// state, and nobody else's), with its own robot account, after admins change the fleet; and what
// happens while Harbor is down.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHarborClient } from "@harbor-satellite/harbor";
import { robotAccounts } from "@harbor-satellite/db";
import { createRegistryClient } from "@harbor-satellite/oci";
import { eq } from "drizzle-orm";
import { verifySecret } from "@harbor-satellite/rpc";
import type { SyntheticImage } from "@harbor-satellite/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  GC_ADMIN,
  HARBOR_ADMIN,
  pushOneImage,
  startServedGroundControl,
  type GroundControl,
  type ServedGroundControl,
  type StateEndpoint,
  type World,
} from "./harness.js";
import { run, skopeo } from "./skopeo.js";
import { readState } from "./state-artifacts.js";

async function codeOf(p: Promise<unknown>): Promise<Code | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof ConnectError ? e.code : undefined),
  );
}

describe("Ground Control fleet and registry against Harbor", () => {
  let world: World;
  let gc: GroundControl;
  let endpoint: StateEndpoint;
  let image: SyntheticImage;
  let served: ServedGroundControl | undefined;
  let pushed: Awaited<ReturnType<typeof pushOneImage>> | undefined;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    ({ world, gc, endpoint } = served = await startServedGroundControl({ projects: ["team-a", "team-b"] }));
    ({ image } = pushed = await pushOneImage(world, ["team-a/app", "library/nginx", "team-b/secret"], 2048));
  });
  afterAll(async () => {
    await served?.stop();
    await pushed?.removeBlobs();
  });

  /** The URL a satellite state lists: the state's repository pinned to the digest of its `latest`. */
  const pinned = async (kind: "group" | "config", name: string) =>
    `${world.harbor.url}/satellite/${kind}-state/${name}/state@${(await readState(world.emulator.url, `satellite/${kind}-state/${name}/state`, HARBOR_ADMIN)).digest}`;

  const robotCreds = async (satellite: string) => {
    const { robot, secret } = await gc.registry.rotateRobotSecret({ satellite });
    secrets.set(satellite, secret);
    return { username: robot?.name ?? "", password: secret };
  };

  it("publishes group and satellite state in the original's layout for a satellite with a two-image group", async () => {
    await gc.fleet.createGroup({
      group: "group-a",
      artifacts: [
        { repository: "team-a/app", tags: ["1"], digest: "", type: "" },
        { repository: "library/nginx", tags: ["1"], digest: image.manifestDigest, type: "image" },
      ],
    });
    await gc.fleet.createSatellite({ satellite: "sat-a", region: "eu", selectors: ["docker:label:app:sat-a"] });
    await gc.fleet.assignGroup({ satellite: "sat-a", group: "group-a" });
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);

    const creds = await robotCreds("sat-a");
    expect(creds.username).toBe("robot$sat-a");
    const group = await readState(world.emulator.url, "satellite/group-state/group-a/state", creds);
    expect(group.json).toEqual({
      group: "group-a",
      registry: world.harbor.url,
      artifacts: [
        { repository: "team-a/app", tag: ["1"], type: "image" },
        { repository: "library/nginx", tag: ["1"], type: "image", digest: image.manifestDigest },
      ],
    });
    expect(group.manifest.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(group.manifest.config.mediaType).toBe("application/vnd.docker.container.image.v1+json");
    expect(group.manifest.layers[0].mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
    expect(group.config.rootfs.diff_ids).toEqual([group.tarDigest]);

    const config = await readState(world.emulator.url, "satellite/config-state/default/state", creds);
    expect((config.json as { app_config: Record<string, unknown> }).app_config.state_replication_interval).toBe(
      "@every 00h00m30s",
    );
    // The satellite state is on Ground Control's endpoint, in the same layout, listing group and
    // config states pinned to the digests Harbor holds under `latest`; Harbor has no copy.
    const sat = await readState(endpoint.url, "satellite/satellite-state/sat-a/state", creds);
    expect(sat.json).toEqual({
      states: [`${world.harbor.url}/satellite/group-state/group-a/state@${group.digest}`],
      config: `${world.harbor.url}/satellite/config-state/default/state@${config.digest}`,
    });
    expect(sat.manifest.layers[0].mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
    expect(sat.config.rootfs.diff_ids).toEqual([sat.tarDigest]);
    expect(
      await readState(world.emulator.url, "satellite/satellite-state/sat-a/state", HARBOR_ADMIN).then(
        () => "in Harbor",
        String,
      ),
    ).toMatch(/404|NAME_UNKNOWN|MANIFEST_UNKNOWN/);
  });

  it("tags every state artifact with latest and the unix time", async () => {
    const tags = await createHarborClient({ url: world.emulator.url, ...HARBOR_ADMIN }).listArtifacts(
      "satellite",
      "group-state/group-a/state",
    );
    const names = tags.flatMap((a) => (a.tags ?? []).map((t) => t.name));
    expect(names).toContain("latest");
    expect(names.some((n) => /^\d{10}$/.test(n ?? ""))).toBe(true);
    const client = createRegistryClient({ url: endpoint.url, credentials: GC_ADMIN, retry: { attempts: 1 } });
    try {
      const own = await client.listTags("satellite/satellite-state/sat-a/state");
      expect(own).toContain("latest");
      expect(own.some((n) => /^\d{10}$/.test(n))).toBe(true);
    } finally {
      client.close();
    }
  });

  it("gives the robot read/pull on exactly its groups' projects plus a private satellite project, and stores only a hash", async () => {
    const robot = [...world.emulator.state.robots.values()].find((r) => r.name === "sat-a");
    expect(robot?.level).toBe("system");
    expect(robot?.permissions.map((p) => p.namespace).sort()).toEqual(["library", "satellite", "team-a"]);
    for (const p of robot?.permissions ?? [])
      expect(p.access?.map((a) => `${a.resource}:${a.action}`).sort()).toEqual([
        "artifact:read",
        "repository:pull",
        "repository:read",
      ]);
    expect(world.emulator.state.projects.get("satellite")?.public).toBe(false);
    const rows = await gc.db.db.select().from(robotAccounts);
    const row = rows.find((r) => r.robotName === "robot$sat-a");
    expect(row?.projects).toEqual(["library", "satellite", "team-a"]);
    expect(JSON.stringify(rows)).not.toContain(secrets.get("sat-a"));
    expect(await verifySecret(secrets.get("sat-a") ?? "", row?.secretHash ?? "")).toBe(true);
  });

  it("lets skopeo read the satellite state from Ground Control with the robot's credentials, and the layer holds artifacts.json", async () => {
    const ref = `docker://${endpoint.host}/satellite/satellite-state/sat-a/state:latest`;
    const creds = `robot$sat-a:${secrets.get("sat-a")}`;
    const inspect = await skopeo(["inspect", "--creds", creds, "--tls-verify=false", ref]);
    expect(inspect.stderr).toBe("");
    expect(inspect.ok).toBe(true);
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      Name: `${endpoint.host}/satellite/satellite-state/sat-a/state`,
      Os: "linux",
    });

    const dir = await mkdtemp(join(tmpdir(), "gc-skopeo-"));
    try {
      const copy = await skopeo(["copy", "--src-creds", creds, "--src-tls-verify=false", ref, `dir:${dir}`]);
      expect(copy.ok, copy.stderr).toBe(true);
      const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as {
        layers: Array<{ digest: string }>;
      };
      const { stdout } = await run("tar", ["-xzOf", join(dir, manifest.layers[0].digest.slice(7)), "artifacts.json"]);
      expect(JSON.parse(stdout).states).toEqual([await pinned("group", "group-a")]);
      const { stdout: listing } = await run("tar", ["-tzf", join(dir, manifest.layers[0].digest.slice(7))]);
      expect(listing.trim().split("\n")).toEqual(["artifacts.json"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("denies satellite A an image from a project only satellite B's group uses", async () => {
    await gc.fleet.createGroup({
      group: "group-b",
      artifacts: [{ repository: "team-b/secret", tags: ["1"], digest: "", type: "" }],
    });
    await gc.fleet.createSatellite({ satellite: "sat-b", groups: ["group-b"] });
    await gc.fleetModule.publisher.flush();
    await robotCreds("sat-b");
    const secret = `docker://${world.emulator.host}/team-b/secret:1`;
    const asA = await skopeo([
      "inspect",
      "--creds",
      `robot$sat-a:${secrets.get("sat-a")}`,
      "--tls-verify=false",
      secret,
    ]);
    expect(asA.ok).toBe(false);
    expect(asA.stderr).toMatch(/unauthorized|denied|not found|authentication required/i);
    const asB = await skopeo([
      "inspect",
      "--creds",
      `robot$sat-b:${secrets.get("sat-b")}`,
      "--tls-verify=false",
      secret,
    ]);
    expect(asB.ok, asB.stderr).toBe(true);
    const ownA = await skopeo([
      "inspect",
      "--creds",
      `robot$sat-a:${secrets.get("sat-a")}`,
      "--tls-verify=false",
      `docker://${world.emulator.host}/team-a/app:1`,
    ]);
    expect(ownA.ok, ownA.stderr).toBe(true);
  });

  it("denies satellite A satellite B's state on Ground Control's endpoint (in Harbor, one project's pull would have opened it)", async () => {
    const ofB = `docker://${endpoint.host}/satellite/satellite-state/sat-b/state:latest`;
    const asA = await skopeo(["inspect", "--creds", `robot$sat-a:${secrets.get("sat-a")}`, "--tls-verify=false", ofB]);
    expect(asA.ok).toBe(false);
    expect(asA.stderr).toMatch(/denied: satellite \\?"sat-a\\?" may not read the state of satellite \\?"sat-b\\?"/);
    const asB = await skopeo(["inspect", "--creds", `robot$sat-b:${secrets.get("sat-b")}`, "--tls-verify=false", ofB]);
    expect(asB.ok, asB.stderr).toBe(true);
    const wrong = await skopeo(["inspect", "--creds", "robot$sat-b:not-the-secret", "--tls-verify=false", ofB]);
    expect(wrong.ok).toBe(false);
    expect(wrong.stderr).toMatch(/unauthorized|authentication required/i);
  });

  it("publishes a satellite with no groups (the original published nothing)", async () => {
    await gc.fleet.createSatellite({ satellite: "sat-empty" });
    await gc.fleetModule.publisher.flush();
    const state = await readState(
      endpoint.url,
      "satellite/satellite-state/sat-empty/state",
      await robotCreds("sat-empty"),
    );
    expect(state.json).toEqual({ states: [], config: await pinned("config", "default") });
  });

  it("keeps the outbox while Harbor is down and publishes after it returns, losing nothing", async () => {
    await world.harbor.down();
    try {
      await gc.fleet.createGroup({
        group: "group-late",
        artifacts: [{ repository: "team-a/app", tags: ["1"], digest: "", type: "" }],
      });
      await gc.fleet.assignGroup({ satellite: "sat-b", group: "group-late" });
      await gc.fleetModule.publisher.flush();
      const pending = await gc.fleetModule.store.outbox.pending();
      expect(pending.map((p) => `${p.kind} ${p.subject}`).sort()).toEqual([
        "publish-group-state group-late",
        "publish-satellite-state sat-b",
        "sync-robot sat-b",
      ]);
      expect(pending.every((p) => p.lastError !== null)).toBe(true);
    } finally {
      await world.harbor.up();
    }
    await vi.waitFor(
      async () => {
        await gc.fleetModule.publisher.flush();
        expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);
      },
      { timeout: 30_000, interval: 200 },
    );
    const state = await readState(endpoint.url, "satellite/satellite-state/sat-b/state", {
      username: "robot$sat-b",
      password: secrets.get("sat-b") ?? "",
    });
    expect((state.json as { states: string[] }).states).toEqual([
      await pinned("group", "group-b"),
      await pinned("group", "group-late"),
    ]);
    expect(
      [...world.emulator.state.robots.values()]
        .find((r) => r.name === "sat-b")
        ?.permissions.map((p) => p.namespace)
        .sort(),
    ).toEqual(["satellite", "team-a", "team-b"]);
  });

  it("keeps a satellite's robot from expiring: the registry's sweep queues sync-robot, the fleet's EnsureRobot renews it", async () => {
    const robot = [...world.emulator.state.robots.values()].find((r) => r.name === "sat-a");
    if (!robot) throw new Error("sat-a has no robot");
    // 25 of its 30 days gone (the emulator's clock for this robot moved back).
    robot.creationTime = new Date(robot.creationTime.getTime() - 25 * 86_400_000);
    robot.expiresAt = Math.floor(robot.creationTime.getTime() / 1000) + robot.duration * 86_400;
    await gc.db.db
      .update(robotAccounts)
      .set({ expiresAt: new Date(robot.expiresAt * 1000) })
      .where(eq(robotAccounts.robotName, "robot$sat-a"));
    const secret = robot.secret;

    expect(await gc.registryModule.renewRobots()).toEqual(["sat-a"]);
    await gc.fleetModule.publisher.flush();
    expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);
    expect(robot.expiresAt - Date.now() / 1000).toBeGreaterThan(29 * 86_400);
    expect(robot.secret).toBe(secret);
    expect(robot.permissions.map((p) => p.namespace).sort()).toEqual(["library", "satellite", "team-a"]);
    expect(await gc.registryModule.renewRobots()).toEqual([]);
  });

  it("deletes the satellite-state copy an earlier Ground Control left in Harbor when it first stores the state itself", async () => {
    // What the previous version pushed for this satellite, readable by every satellite's robot.
    // (With SATELLITE_STATE_IN_HARBOR it is kept and updated instead: state-in-harbor.test.ts.)
    const harbor = createRegistryClient({ url: world.emulator.url, credentials: HARBOR_ADMIN, retry: { attempts: 1 } });
    const groundControl = createRegistryClient({ url: endpoint.url, credentials: GC_ADMIN, retry: { attempts: 1 } });
    try {
      const repo = "satellite/satellite-state/sat-old/state";
      const old = await groundControl.getManifest("satellite/satellite-state/sat-a/state", "latest");
      const parsed = JSON.parse(old.bytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
      for (const digest of [parsed.config.digest, parsed.layers[0].digest]) {
        await harbor.pushBlob(repo, await groundControl.getBlobBytes("satellite/satellite-state/sat-a/state", digest));
      }
      await harbor.pushManifest(repo, "latest", old.bytes, old.mediaType);
      expect(await harbor.headManifest(repo, "latest")).toBeDefined();

      await gc.fleet.createSatellite({ satellite: "sat-old" });
      await gc.fleetModule.publisher.flush();
      expect(
        await harbor.headManifest(repo, "latest").catch((e: { status?: number }) => (e.status === 404 ? undefined : e)),
      ).toBeUndefined();
      expect((await readState(endpoint.url, repo, await robotCreds("sat-old"))).json).toEqual({
        states: [],
        config: await pinned("config", "default"),
      });
    } finally {
      harbor.close();
      groundControl.close();
    }
  });

  it("deletes a satellite's robot and state with it", async () => {
    await gc.fleet.deleteSatellite({ satellite: "sat-empty" });
    await gc.fleetModule.publisher.flush();
    expect([...world.emulator.state.robots.values()].some((r) => r.name === "sat-empty")).toBe(false);
    const gone = await readState(endpoint.url, "satellite/satellite-state/sat-empty/state", GC_ADMIN).then(
      () => "present",
      (e: unknown) => String(e),
    );
    expect(gone).toMatch(/404|MANIFEST_UNKNOWN|NAME_UNKNOWN/);
  });

  it("gives the right codes for duplicate, invalid and unknown input on PostgreSQL", async () => {
    expect(await codeOf(gc.fleet.createSatellite({ satellite: "sat-a" }))).toBe(Code.AlreadyExists);
    expect(await codeOf(gc.fleet.createGroup({ group: "group-a", artifacts: [] }))).toBe(Code.AlreadyExists);
    expect(await codeOf(gc.fleet.createSatellite({ satellite: "-bad" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(gc.fleet.createConfig({ config: "c", configJson: "{" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(gc.fleet.assignGroup({ satellite: "sat-a", group: "nope" }))).toBe(Code.NotFound);
    expect(await codeOf(gc.fleet.deleteGroup({ group: "group-a" }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(gc.fleet.deleteConfig({ config: "default" }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(gc.registry.rotateRobotSecret({ satellite: "nope" }))).toBe(Code.NotFound);
  });

  it("refuses a satellite whose name a foreign Harbor robot holds, and keeps retrying without losing the request", async () => {
    world.emulator.state.addRobot({
      name: "sat-taken",
      description: "ci robot",
      level: "system",
      duration: -1,
      disabled: false,
      expiresAt: -1,
      permissions: [],
      projectId: 0,
    });
    await gc.fleet.createSatellite({ satellite: "sat-taken" });
    await gc.fleetModule.publisher.flush();
    const pending = await gc.fleetModule.store.outbox.pending();
    expect(pending.find((p) => p.subject === "sat-taken" && p.kind === "sync-robot")?.lastError).toContain(
      "already exists and was not created by Ground Control",
    );
    expect(await codeOf(gc.registry.ensureRobot({ satellite: "sat-taken", projects: [] }))).toBe(Code.AlreadyExists);
    await gc.fleet.deleteSatellite({ satellite: "sat-taken" });
    await vi.waitFor(
      async () => {
        await gc.fleetModule.publisher.flush();
        expect(await gc.fleetModule.store.outbox.pending()).toEqual([]);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect([...world.emulator.state.robots.values()].find((r) => r.name === "sat-taken")?.description).toBe("ci robot");
  });
});
