// The emulator's registry face against a real docker-registry: pushes and pulls through it as the
// admin and as robots, Harbor's project permission model and refusals, the token flow with a
// plain fetch and with skopeo, and the API's view of what was pushed.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createHarborClient, type HarborClient, type RobotCreate } from "@harbor-satellite/harbor";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dockerRegistryAvailable, startDockerRegistry, type DockerRegistry } from "../docker-registry.js";
import { buildImage, makeBlobDir, pushImage, removeBlobDir, writeOciLayout, type SyntheticImage } from "../images.js";
import { startHarborEmulator, type HarborEmulator } from "./index.js";

const run = promisify(execFile);
const admin = { username: "admin", password: "Harbor12345" };
const basic = (c: { username: string; password: string }) => ({
  authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`,
});
const access = (...pairs: string[]) => pairs.map((p) => ({ resource: p.split(":")[0], action: p.split(":")[1] }));

describe("Harbor emulator: registry, permissions and token flow", () => {
  let upstream: DockerRegistry;
  let emu: HarborEmulator;
  let harbor: HarborClient;
  let blobs: string;
  let image: SyntheticImage;
  let pusherA: { username: string; password: string };
  let pullerA: { username: string; password: string };

  const robot = async (name: string, permissions: RobotCreate["permissions"]) => {
    const created = await harbor.createRobot({ name, level: "system", duration: -1, permissions });
    return { id: created.id as number, username: created.name as string, password: created.secret as string };
  };

  beforeAll(async () => {
    expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
    upstream = await startDockerRegistry();
    emu = await startHarborEmulator({ adminUser: admin.username, adminPassword: admin.password, upstream });
    harbor = createHarborClient({ url: emu.url, ...admin });
    for (const [name, isPublic] of [
      ["alpha", false],
      ["beta", false],
      ["open", true],
    ] as const)
      await harbor.ensureProject(name, { public: isPublic });
    blobs = await makeBlobDir();
    image = await buildImage({ layerSizes: [4 << 20, 2048], dir: blobs });
    await pushImage(emu.url, "beta/app", "v1", image, admin);
    await pushImage(emu.url, "open/app", "v1", image, admin);
    pusherA = await robot("pusher-a", [
      { kind: "project", namespace: "alpha", access: access("repository:push", "repository:pull") },
    ]);
    pullerA = await robot("puller-a", [
      { kind: "project", namespace: "alpha", access: access("repository:pull", "artifact:read") },
    ]);
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => {
    await emu?.stop();
    await upstream?.stop();
    if (blobs) await removeBlobDir(blobs);
  });

  it("lets the admin and a robot with push permission push, and shows the artifact through the API", async () => {
    await pushImage(emu.url, "alpha/app", "v1", image, admin);
    await pushImage(emu.url, "alpha/team/tool", "v2", image, pusherA);
    const artifacts = await harbor.listArtifacts("alpha", "team/tool");
    expect(artifacts).toHaveLength(1);
    expect(artifacts[0]).toMatchObject({
      digest: image.manifestDigest,
      type: "IMAGE",
      repository_name: "alpha/team/tool",
      manifest_media_type: image.mediaType,
    });
    expect(artifacts[0].tags?.map((t) => t.name)).toEqual(["v2"]);
    const repos = await fetch(`${emu.url}/api/v2.0/projects/alpha/repositories`, { headers: basic(admin) });
    expect(
      ((await repos.json()) as { name: string; artifact_count: number }[]).map((r) => [r.name, r.artifact_count]),
    ).toEqual([
      ["alpha/app", 1],
      ["alpha/team/tool", 1],
    ]);
  });

  it("streams pulls with Docker-Content-Digest, Content-Type and Range preserved", async () => {
    const manifest = await fetch(`${emu.url}/v2/alpha/app/manifests/v1`, {
      headers: { ...basic(pullerA), accept: image.mediaType },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get("docker-content-digest")).toBe(image.manifestDigest);
    expect(manifest.headers.get("content-type")).toBe(image.mediaType);
    const layer = image.layers[0];
    const part = await fetch(`${emu.url}/v2/alpha/app/blobs/${layer.digest}`, {
      headers: { ...basic(pullerA), range: "bytes=0-9" },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-9/${layer.size}`);
    expect((await part.arrayBuffer()).byteLength).toBe(10);
  });

  it("rewrites upload Locations to the emulator's host", async () => {
    const start = await fetch(`${emu.url}/v2/alpha/app/blobs/uploads/`, { method: "POST", headers: basic(admin) });
    expect(start.status).toBe(202);
    expect(start.headers.get("location")).toMatch(new RegExp(`^http://${emu.host}/v2/alpha/app/blobs/uploads/`));
    await fetch(start.headers.get("location")!, { method: "DELETE", headers: basic(admin) });
  });

  it("refuses a pull-only robot's push and any robot on another project, 401 with a Basic challenge", async () => {
    const push = await fetch(`${emu.url}/v2/alpha/app/blobs/uploads/`, { method: "POST", headers: basic(pullerA) });
    expect(push.status).toBe(401);
    expect(push.headers.get("www-authenticate")).toBe('Basic realm="harbor"');
    expect(await push.json()).toEqual({
      errors: [{ code: "UNAUTHORIZED", message: "unauthorized to access repository: alpha/app, action: push" }],
    });
    await expect(pushImage(emu.url, "beta/evil", "v1", image, pusherA)).rejects.toThrow(/HTTP 401/);
    const pull = await fetch(`${emu.url}/v2/beta/app/manifests/v1`, { headers: basic(pusherA) });
    expect(pull.status).toBe(401);
  });

  it("lets anyone pull from a public project but refuses anonymous pulls from a private one", async () => {
    const anonymousPublic = await fetch(`${emu.url}/v2/open/app/manifests/v1`, { method: "HEAD" });
    expect(anonymousPublic.status).toBe(401); // Harbor sends CLI HEAD/GET without a header to the token flow
    const challenge = anonymousPublic.headers.get("www-authenticate");
    expect(challenge).toBe(
      `Bearer realm="http://${emu.host}/service/token",service="harbor-registry",scope="repository:open/app:pull"`,
    );
    const publicToken = await token("repository:open/app:pull");
    const viaToken = await fetch(`${emu.url}/v2/open/app/manifests/v1`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${publicToken}`, accept: image.mediaType },
    });
    expect(viaToken.status).toBe(200);

    const anonymousLogin = await fetch(`${emu.url}/v2/`, { headers: { authorization: `Bearer ${publicToken}` } });
    expect(anonymousLogin.status).toBe(401);

    const privateToken = await token("repository:alpha/app:pull");
    const denied = await fetch(`${emu.url}/v2/alpha/app/manifests/v1`, {
      headers: { authorization: `Bearer ${privateToken}` },
    });
    expect(denied.status).toBe(401);
    const robotOnPublic = await fetch(`${emu.url}/v2/open/app/manifests/v1`, {
      method: "HEAD",
      headers: { ...basic(pullerA), accept: image.mediaType },
    });
    expect(robotOnPublic.status).toBe(200);
  });

  it("issues tokens with every permitted action, none for missing projects, 401 for a login without credentials", async () => {
    const res = await fetch(
      `${emu.url}/service/token?service=harbor-registry&scope=${encodeURIComponent("repository:alpha/x:pull repository:beta/x:pull repository:ghost/x:pull")}`,
      { headers: basic(pusherA) },
    );
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(body).toMatchObject({ access_token: "", expires_in: 1800 });
    const claims = JSON.parse(Buffer.from(body.token.split(".")[1], "base64url").toString()) as {
      sub: string;
      access: { name: string; actions: string[] }[];
    };
    expect(claims.sub).toBe(pusherA.username);
    expect(claims.access).toEqual([
      { type: "repository", name: "alpha/x", actions: ["pull", "push"] },
      { type: "repository", name: "beta/x", actions: [] },
      { type: "repository", name: "ghost/x", actions: [] },
    ]);
    expect((await fetch(`${emu.url}/service/token?service=harbor-registry`)).status).toBe(401);
    expect((await fetch(`${emu.url}/service/token?service=other`, { headers: basic(admin) })).status).toBe(400);
  });

  it("accepts a pushing robot's bearer token for the whole push", async () => {
    const t = await token("repository:alpha/bearer:pull,push", pusherA);
    const headers = { authorization: `Bearer ${t}` };
    const start = await fetch(`${emu.url}/v2/alpha/bearer/blobs/uploads/`, { method: "POST", headers });
    expect(start.status).toBe(202);
    await fetch(start.headers.get("location")!, { method: "DELETE", headers });
    const elsewhere = await fetch(`${emu.url}/v2/beta/bearer/blobs/uploads/`, { method: "POST", headers });
    expect(elsewhere.status).toBe(401);
  });

  it("answers a push to a missing project as Harbor does: 401 naming the project", async () => {
    const res = await fetch(`${emu.url}/v2/ghost/app/blobs/uploads/`, { method: "POST", headers: basic(admin) });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ errors: [{ code: "UNAUTHORIZED", message: "project ghost not found" }] });
  });

  it("refuses disabled and expired robots like anonymous callers", async () => {
    const temp = await robot("temp-a", [{ kind: "project", namespace: "alpha", access: access("repository:pull") }]);
    const login = () => fetch(`${emu.url}/v2/`, { headers: basic(temp) });
    expect((await login()).status).toBe(200);
    emu.state.robots.get(temp.id)!.disabled = true;
    expect((await login()).status).toBe(401);
    emu.state.robots.get(temp.id)!.disabled = false;
    emu.state.robots.get(temp.id)!.expiresAt = Math.floor(Date.now() / 1000) - 1;
    const expired = await login();
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toBe('Basic realm="harbor"');
  });

  it("keeps /v2/_catalog to the admin", async () => {
    const asAdmin = await fetch(`${emu.url}/v2/_catalog`, { headers: basic(admin) });
    expect(((await asAdmin.json()) as { repositories: string[] }).repositories).toContain("alpha/app");
    expect((await fetch(`${emu.url}/v2/_catalog`, { headers: basic(pusherA) })).status).toBe(401);
  });

  it("deletes by digest only with repository:delete, and deletes repositories through the API", async () => {
    await pushImage(emu.url, "alpha/doomed", "v1", image, admin);
    const url = `${emu.url}/v2/alpha/doomed/manifests/${image.manifestDigest}`;
    expect((await fetch(url, { method: "DELETE", headers: basic(pusherA) })).status).toBe(401);
    const deleter = await robot("deleter-a", [
      { kind: "project", namespace: "alpha", access: access("repository:delete") },
    ]);
    expect((await fetch(url, { method: "DELETE", headers: basic(deleter) })).status).toBe(202);

    // An artifact goes with all its tags, whichever reference names it.
    await pushImage(emu.url, "alpha/two-tags", "a", image, admin);
    await pushImage(emu.url, "alpha/two-tags", "b", image, admin);
    const authJson = basic(admin);
    expect(
      (
        await fetch(`${emu.url}/api/v2.0/projects/alpha/repositories/two-tags/artifacts/a`, {
          method: "DELETE",
          headers: authJson,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${emu.url}/api/v2.0/projects/alpha/repositories/two-tags/artifacts/b`, {
          method: "DELETE",
          headers: authJson,
        })
      ).status,
    ).toBe(404);

    await pushImage(emu.url, "alpha/state/sat-1/state", "latest", image, admin);
    expect(await harbor.deleteRepository("alpha", "state/sat-1/state")).toBe(true);
    expect(await harbor.deleteRepository("alpha", "state/sat-1/state")).toBe(false);
    await expect(harbor.listArtifacts("alpha", "state/sat-1/state")).rejects.toMatchObject({ status: 404 });
  });

  it("works with skopeo through the token flow: inspect as a robot, copy in as a pushing robot, refused elsewhere", async () => {
    const { stdout } = await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `${pullerA.username}:${pullerA.password}`,
      `docker://${emu.host}/alpha/app:v1`,
    ]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(image.manifestDigest);

    const layout = await mkdtemp(join(tmpdir(), "hs-layout-"));
    try {
      await writeOciLayout(layout, [{ tag: "v1", image }]);
      await run("skopeo", [
        "copy",
        "--insecure-policy",
        "--dest-tls-verify=false",
        "--dest-creds",
        `${pusherA.username}:${pusherA.password}`,
        `oci:${layout}:v1`,
        `docker://${emu.host}/alpha/copied:v1`,
      ]);
      const copied = await harbor.listArtifacts("alpha", "copied");
      expect(copied.map((a) => a.tags?.map((t) => t.name))).toEqual([["v1"]]);
      await expect(
        run("skopeo", [
          "copy",
          "--insecure-policy",
          "--dest-tls-verify=false",
          "--dest-creds",
          `${pusherA.username}:${pusherA.password}`,
          `oci:${layout}:v1`,
          `docker://${emu.host}/beta/copied:v1`,
        ]),
      ).rejects.toThrow(/unauthorized|denied/i);
    } finally {
      await rm(layout, { recursive: true, force: true });
    }
    await expect(run("skopeo", ["inspect", "--tls-verify=false", `docker://${emu.host}/alpha/app:v1`])).rejects.toThrow(
      /unauthorized|authentication required/i,
    );
  });

  async function token(scope: string, creds?: { username: string; password: string }): Promise<string> {
    const res = await fetch(`${emu.url}/service/token?service=harbor-registry&scope=${encodeURIComponent(scope)}`, {
      headers: creds ? basic(creds) : {},
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }
});
