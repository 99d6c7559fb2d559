// Issue 2's acceptance path, as an operator walks it: a real `ground-control` process on real
// PostgreSQL, Harbor emulated in front of a real docker-registry; admin calls with `buf curl`
// through the gateway; state artifacts checked with `skopeo` and the satellite's robot: group and
// config states in Harbor, each satellite's satellite state served by Ground Control itself, to
// that satellite only.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarborClient } from "@harbor-satellite/harbor";
import {
  buildImage,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  startPostgres,
  type PostgresServer,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { readState } from "../ground-control/state-artifacts.js";
import { bufCurl } from "./buf-curl.js";
import { HARBOR, startGroundControlProcess } from "./ground-control-process.js";
import { eventually, type RunningProcess } from "./processes.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "e2e-admin-password";

describe("ground-control through the gateway with buf curl and skopeo", () => {
  let pg: PostgresServer;
  let registry: DockerRegistry;
  let emu: HarborEmulator;
  let gc: RunningProcess;
  let url: string;
  let token: string;
  let blobs: string;

  beforeAll(async () => {
    [pg, registry] = await Promise.all([startPostgres(), startDockerRegistry()]);
    emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: registry.url },
    });
    const harbor = createHarborClient({ url: emu.url, ...HARBOR });
    await harbor.ensureProject("apps", { public: false });
    await harbor.ensureProject("secret", { public: false });
    blobs = await makeBlobDir();
    for (const [repo, tag] of [
      ["apps/nginx", "1.27"],
      ["apps/alpine", "3.20"],
      ["secret/vault", "1.0"],
    ]) {
      await pushImage(
        emu.url,
        repo,
        tag,
        await buildImage({ layerSizes: [2048], dir: blobs, labels: { repo } }),
        HARBOR,
      );
    }
    ({ gc, url } = await startGroundControlProcess({
      harborUrl: emu.url,
      adminPassword: ADMIN_PASSWORD,
      databaseUrl: await pg.createDatabase("gc_e2e"),
    }));
    const login = await bufCurl(url, "harbor.satellite.identity.v1.IdentityService/Login", {
      username: "admin",
      password: ADMIN_PASSWORD,
    });
    token = login.body.sessionToken as string;
  });

  afterAll(async () => {
    await gc?.stop();
    await emu?.stop();
    await Promise.all([registry?.stop(), pg?.stop(), blobs && removeBlobDir(blobs)]);
  });

  const fleet = (method: string, body: unknown) =>
    bufCurl(url, `harbor.satellite.fleet.v1.FleetService/${method}`, body, token);
  const rotate = async (satellite: string) => {
    const res = await bufCurl(
      url,
      "harbor.satellite.registry.v1.RegistryService/RotateRobotSecret",
      { satellite },
      token,
    );
    expect(res.ok, res.message).toBe(true);
    return { username: (res.body.robot as { name: string }).name, password: res.body.secret as string };
  };
  const skopeoInspect = (ref: string, creds: { username: string; password: string }, host = emu.host) =>
    run("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `${creds.username}:${creds.password}`,
      `docker://${host}/${ref}`,
    ]);
  /** Ground Control's own host: where satellite states are served. */
  const gcHost = () => new URL(url).host;

  it("creates satellites and groups, assigns them, and publishes state artifacts a satellite's robot can read", async () => {
    expect((await fleet("CreateSatellite", { satellite: "edge-a", region: "eu-west" })).ok).toBe(true);
    expect((await fleet("CreateSatellite", { satellite: "edge-b" })).ok).toBe(true);
    const group = await fleet("CreateGroup", {
      group: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
      ],
    });
    expect(group.ok, group.message).toBe(true);
    expect(
      (await fleet("CreateGroup", { group: "vault", artifacts: [{ repository: "secret/vault", tags: ["1.0"] }] })).ok,
    ).toBe(true);
    const assigned = await fleet("AssignGroup", { satellite: "edge-a", group: "web" });
    expect(assigned.ok, assigned.message).toBe(true);
    expect((assigned.body.satellite as { groups: string[] }).groups).toEqual(["web"]);
    expect((await fleet("AssignGroup", { satellite: "edge-b", group: "vault" })).ok).toBe(true);

    const robotA = await rotate("edge-a");
    expect(robotA.username).toBe("robot$edge-a");
    const inspected = await eventually(
      async () => {
        const group = await skopeoInspect("satellite/group-state/web/state:latest", robotA);
        const sat = await skopeoInspect("satellite/satellite-state/edge-a/state:latest", robotA, gcHost());
        return { group: JSON.parse(group.stdout), sat: JSON.parse(sat.stdout) };
      },
      30_000,
      "state artifacts published",
    );
    expect(inspected.group.RepoTags).toEqual(expect.arrayContaining(["latest"]));
    expect(inspected.group.RepoTags.some((t: string) => /^\d{10}$/.test(t))).toBe(true);
    expect(inspected.sat).toMatchObject({ Name: `${gcHost()}/satellite/satellite-state/edge-a/state`, Os: "linux" });
    expect(inspected.sat.RepoTags).toEqual(expect.arrayContaining(["latest"]));
    expect(inspected.sat.RepoTags.some((t: string) => /^\d{10}$/.test(t))).toBe(true);

    const groupState = await readState(emu.url, "satellite/group-state/web/state", robotA);
    expect(groupState.json).toEqual({
      group: "web",
      registry: emu.url,
      artifacts: [
        { repository: "apps/nginx", tag: ["1.27"], type: "image" },
        { repository: "apps/alpine", tag: ["3.20"], type: "image" },
      ],
    });
    // Group and config states are listed pinned by digest; the satellite state follows its group's
    // first publish, so wait for the version that lists it.
    const configState = await readState(emu.url, "satellite/config-state/default/state", robotA);
    const pinnedState = {
      states: [`${emu.url}/satellite/group-state/web/state@${groupState.digest}`],
      config: `${emu.url}/satellite/config-state/default/state@${configState.digest}`,
    };
    await eventually(
      async () =>
        expect((await readState(url, "satellite/satellite-state/edge-a/state", robotA)).json).toEqual(pinnedState),
      30_000,
      "satellite state pinned to its group",
    );
    // Not in Harbor at all: there one project's pull would let every robot read it.
    await expect(skopeoInspect("satellite/satellite-state/edge-a/state:latest", HARBOR)).rejects.toThrow(
      /manifest unknown|not found|name unknown/i,
    );
    const [nginx] = await Promise.all([skopeoInspect("apps/nginx:1.27", robotA)]);
    expect(JSON.parse(nginx.stdout).Name).toContain("apps/nginx");
  });

  it("denies satellite A's robot the images only B's group uses", async () => {
    const robotA = await rotate("edge-a");
    const denied = await skopeoInspect("secret/vault:1.0", robotA).then(
      () => "allowed",
      (e: { stderr?: string }) => e.stderr ?? "denied",
    );
    expect(denied).toMatch(/unauthorized|denied|authentication required/i);
    const robotB = await rotate("edge-b");
    await eventually(() => skopeoInspect("secret/vault:1.0", robotB), 30_000, "B's robot pulls its group's image");
  });

  it("denies satellite A's robot B's satellite state, which Ground Control serves to B alone", async () => {
    const robotA = await rotate("edge-a");
    const robotB = await rotate("edge-b");
    await eventually(
      () => skopeoInspect("satellite/satellite-state/edge-b/state:latest", robotB, gcHost()),
      30_000,
      "B's satellite state published",
    );
    const denied = await skopeoInspect("satellite/satellite-state/edge-b/state:latest", robotA, gcHost()).then(
      () => "allowed",
      (e: { stderr?: string }) => e.stderr ?? "",
    );
    expect(denied).toMatch(/denied: satellite \\?"edge-a\\?" may not read the state of satellite \\?"edge-b\\?"/);
    // The group state B's satellite state lists is still Harbor's, for B's robot.
    const ofB = await readState(url, "satellite/satellite-state/edge-b/state", robotB);
    expect((ofB.json as { states: string[] }).states).toEqual([
      expect.stringMatching(new RegExp(`^${emu.url}/satellite/group-state/vault/state@sha256:[0-9a-f]{64}$`)),
    ]);
    await skopeoInspect("satellite/group-state/vault/state:latest", robotB);
  });

  it("serves an artifact an original-format consumer reads: skopeo copy into an OCI layout, artifacts.json in the one layer", async () => {
    const robotA = await rotate("edge-a");
    const dir = await mkdtemp(join(tmpdir(), "gc-e2e-oci-"));
    try {
      await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        `${robotA.username}:${robotA.password}`,
        `docker://${gcHost()}/satellite/satellite-state/edge-a/state:latest`,
        `oci:${join(dir, "layout")}:state`,
      ]);
      const index = JSON.parse(await readFile(join(dir, "layout", "index.json"), "utf8")) as {
        manifests: { digest: string }[];
      };
      const blob = (digest: string) => join(dir, "layout", "blobs", "sha256", digest.slice("sha256:".length));
      const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), "utf8")) as {
        layers: { digest: string }[];
      };
      expect(manifest.layers).toHaveLength(1);
      const { stdout: listing } = await run("tar", ["-tzf", blob(manifest.layers[0].digest)]);
      expect(listing.trim().split("\n")).toEqual(["artifacts.json"]);
      const { stdout } = await run("tar", ["-xzOf", blob(manifest.layers[0].digest), "artifacts.json"]);
      const doc = JSON.parse(stdout) as { states: string[]; config: string };
      expect(Object.keys(doc)).toEqual(["states", "config"]);
      expect(doc.states).toEqual([
        expect.stringMatching(new RegExp(`^${emu.url}/satellite/group-state/web/state@sha256:[0-9a-f]{64}$`)),
      ]);
      expect(doc.config).toMatch(new RegExp(`^${emu.url}/satellite/config-state/default/state@sha256:[0-9a-f]{64}$`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives clear errors for bad input and missing credentials", async () => {
    const cases: [string, unknown, string, RegExp][] = [
      ["CreateSatellite", { satellite: "Bad_Name" }, "invalid_argument", /lowercase/],
      ["CreateSatellite", { satellite: "edge-a" }, "already_exists", /edge-a/],
      ["AssignGroup", { satellite: "edge-a", group: "nope" }, "not_found", /nope/],
      [
        "CreateGroup",
        { group: "g2", artifacts: [{ repository: "Apps/../x", tags: ["1"] }] },
        "invalid_argument",
        /repository/,
      ],
      ["CreateConfig", { config: "c1", configJson: "{not json" }, "invalid_argument", /JSON/i],
      ["UpdateGroup", { group: "web", artifacts: [] }, "invalid_argument", /would remove every image from group web/],
    ];
    for (const [method, body, code, message] of cases) {
      const res = await fleet(method, body);
      expect(res.code, `${method} ${JSON.stringify(body)}`).toBe(code);
      expect(res.message).toMatch(message);
    }
    const anonymous = await bufCurl(url, "harbor.satellite.fleet.v1.FleetService/ListSatellites", {});
    expect(anonymous.code).toBe("unauthenticated");
  });
});
