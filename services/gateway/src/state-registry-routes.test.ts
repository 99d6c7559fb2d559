// The gateway's read-only OCI endpoint for satellite states, over real HTTP on an in-process
// Ground Control (PGlite; Harbor's REST API from the emulator): who may read what, the headers
// registries answer with, references by tag, timestamp tag and digest, and the spec's errors.
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { createRegistryClient } from "@harbor-satellite/oci";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { h1, h2 } from "./raw-http-support.js";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";

const HARBOR = { username: "admin", password: "Harbor12345" };
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

describe("gateway: satellite-state OCI endpoint", () => {
  let emu: HarborEmulator;
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  let admin: string;
  let session: string;
  const robots: Record<string, string> = {};
  const published: Record<string, { digest: string; timestampTag: string }> = {};

  beforeAll(async () => {
    emu = await startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password });
    gc = await startTestGroundControl(
      {},
      { HARBOR_URL: emu.url, HARBOR_USERNAME: HARBOR.username, HARBOR_PASSWORD: HARBOR.password },
    );
    admin = basic("admin", TEST_ADMIN_PASSWORD);
    const asAdmin: Interceptor = (next) => (req) => {
      req.header.set("authorization", admin);
      return next(req);
    };
    const transport = createConnectTransport({ baseUrl: gc.url, httpVersion: "1.1", interceptors: [asAdmin] });
    session = (
      await createClient(IdentityService, transport).login({ username: "admin", password: TEST_ADMIN_PASSWORD })
    ).sessionToken;
    const fleet = createClient(FleetService, transport);
    const registry = createClient(RegistryService, transport);
    for (const name of ["edge-a", "edge-b"]) {
      await fleet.createSatellite({ satellite: name });
      // The outbox creates the robot; the secret comes from a rotation, as enrolment does it.
      for (let i = 0; ; i++) {
        try {
          robots[name] = (await registry.rotateRobotSecret({ satellite: name })).secret;
          break;
        } catch (error) {
          if (i > 100) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      // Published directly (no groups, no config): the emulator has no registry for the outbox's pushes.
      const { state } = await registry.publishSatelliteState({ satellite: name, groups: [], configName: "" });
      published[name] = { digest: state!.digest, timestampTag: state!.timestampTag };
    }
  });
  afterAll(async () => {
    await gc?.close();
    await emu?.stop();
  });

  const get = (path: string, authorization?: string, method = "GET") =>
    fetch(`${gc.url}${path}`, { method, headers: authorization ? { authorization } : {} });
  const robot = (name: string) => basic(`robot$${name}`, robots[name]);
  const errorOf = async (res: Response) =>
    ((await res.json()) as { errors: { code: string; message: string }[] }).errors[0];
  const repo = (name: string) => `/v2/satellite/satellite-state/${name}/state`;

  it("challenges with Basic on /v2/ and accepts robot, admin and session credentials", async () => {
    for (const authorization of [
      undefined,
      basic("robot$edge-a", "wrong"),
      basic("admin", "wrong"),
      "Bearer not-a-session",
    ]) {
      const res = await get("/v2/", authorization);
      expect(res.status, authorization ?? "anonymous").toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="Ground Control"');
      expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
    }
    for (const authorization of [robot("edge-a"), admin, `Bearer ${session}`]) {
      const res = await get("/v2/", authorization);
      expect(res.status).toBe(200);
      expect(res.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
      expect(await res.json()).toEqual({});
    }
  });

  it("serves a satellite its own manifest by latest, timestamp tag and digest, with the registry headers", async () => {
    const { digest, timestampTag } = published["edge-a"];
    for (const reference of ["latest", timestampTag, digest]) {
      const res = await get(`${repo("edge-a")}/manifests/${reference}`, robot("edge-a"));
      expect(res.status, reference).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get("content-type")).toBe(DOCKER_MANIFEST);
      expect(res.headers.get("docker-content-digest")).toBe(digest);
      expect(res.headers.get("content-length")).toBe(String(body.length));
      expect(sha256(body)).toBe(digest);
    }
    const head = await get(`${repo("edge-a")}/manifests/latest`, robot("edge-a"), "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("serves both blobs by digest, GET and HEAD, and lists the tags", async () => {
    const manifest = (await (await get(`${repo("edge-a")}/manifests/latest`, robot("edge-a"))).json()) as {
      config: { digest: string };
      layers: { digest: string; size: number }[];
    };
    const layer = await get(`${repo("edge-a")}/blobs/${manifest.layers[0].digest}`, robot("edge-a"));
    expect(layer.status).toBe(200);
    expect(layer.headers.get("content-type")).toBe("application/octet-stream");
    const bytes = Buffer.from(await layer.arrayBuffer());
    expect(sha256(bytes)).toBe(manifest.layers[0].digest);
    expect(gunzipSync(bytes).toString("latin1")).toContain('{"states":[]}');
    const head = await get(`${repo("edge-a")}/blobs/${manifest.config.digest}`, robot("edge-a"), "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(manifest.config.digest);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const tags = await get(`${repo("edge-a")}/tags/list`, robot("edge-a"));
    expect(await tags.json()).toEqual({
      name: "satellite/satellite-state/edge-a/state",
      tags: [published["edge-a"].timestampTag, "latest"],
    });
  });

  it("denies a satellite another satellite's state, manifests, blobs and tags alike, and lets admins read any", async () => {
    const manifestB = await get(`${repo("edge-b")}/manifests/latest`, admin);
    expect(manifestB.status).toBe(200);
    const layerB = ((await manifestB.json()) as { layers: { digest: string }[] }).layers[0].digest;
    for (const path of [
      `${repo("edge-b")}/manifests/latest`,
      `${repo("edge-b")}/manifests/${published["edge-b"].digest}`,
      `${repo("edge-b")}/blobs/${layerB}`,
      `${repo("edge-b")}/tags/list`,
    ]) {
      const res = await get(path, robot("edge-a"));
      expect(res.status, path).toBe(403);
      expect(await errorOf(res)).toEqual({
        code: "DENIED",
        message: 'satellite "edge-a" may not read the state of satellite "edge-b"',
      });
    }
    expect((await get(`${repo("edge-b")}/manifests/latest`, `Bearer ${session}`)).status).toBe(200);
    expect((await get(`${repo("edge-b")}/manifests/latest`, robot("edge-b"))).status).toBe(200);
    expect((await get(`${repo("edge-b")}/manifests/latest`)).status).toBe(401);
  });

  it("answers unknown references, names and paths with the spec's codes", async () => {
    const cases: [string, string, number, string][] = [
      ["GET", `${repo("edge-a")}/manifests/v9`, 404, "MANIFEST_UNKNOWN"],
      ["GET", `${repo("edge-a")}/manifests/sha256:${"0".repeat(64)}`, 404, "MANIFEST_UNKNOWN"],
      ["GET", `${repo("edge-a")}/blobs/sha256:${"0".repeat(64)}`, 404, "BLOB_UNKNOWN"],
      ["GET", `${repo("edge-a")}/blobs/latest`, 400, "DIGEST_INVALID"],
      ["GET", `${repo("edge-nobody")}/manifests/latest`, 404, "MANIFEST_UNKNOWN"],
      ["GET", `${repo("Edge_A")}/manifests/latest`, 400, "NAME_INVALID"],
      ["GET", "/v2/_catalog", 404, "NAME_UNKNOWN"],
      ["GET", "/v2/library/nginx/manifests/latest", 404, "NAME_UNKNOWN"],
      ["GET", "/v2/satellite/group-state/web/state/manifests/latest", 404, "NAME_UNKNOWN"],
      ["PUT", `${repo("edge-a")}/manifests/latest`, 405, "UNSUPPORTED"],
      ["DELETE", `${repo("edge-a")}/manifests/${published["edge-a"].digest}`, 405, "UNSUPPORTED"],
      ["POST", `${repo("edge-a")}/blobs/uploads/`, 405, "UNSUPPORTED"],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await get(path, admin, method);
      expect(res.status, `${method} ${path}`).toBe(status);
      expect((await errorOf(res)).code, `${method} ${path}`).toBe(code);
    }
    // A satellite asking for a state that does not exist, under another name, is still denied.
    expect((await get(`${repo("edge-nobody")}/manifests/latest`, robot("edge-a"))).status).toBe(403);
  });

  it("answers malformed paths and credentials with the spec's errors over HTTP/1.1 and h2c, and keeps serving", async () => {
    const cases: [string, string | undefined, number, string][] = [
      [`${repo("%ZZ")}/manifests/latest`, admin, 400, "NAME_INVALID"],
      [`${repo("edge-a")}/manifests/%E0%A4%A`, admin, 404, "MANIFEST_UNKNOWN"],
      [`${repo("edge-a")}/blobs/sha256:%ZZ`, admin, 400, "DIGEST_INVALID"],
      ["/v2/%ZZ/%", admin, 404, "NAME_UNKNOWN"],
      ["/v2/", "Basic %%%not-base64", 401, "UNAUTHORIZED"],
      ["/v2/", "Basic", 401, "UNAUTHORIZED"],
      ["/v2/", "Bearer", 401, "UNAUTHORIZED"],
      ["/v2/", `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x00]).toString("base64")}`, 401, "UNAUTHORIZED"],
    ];
    for (const send of [h1, h2]) {
      for (const [path, authorization, status, code] of cases) {
        const res = await send(gc.url, { path, headers: authorization ? { authorization } : {} });
        expect(res.status, `${send.name} ${path} ${authorization}`).toBe(status);
        expect(JSON.parse(res.body.toString()).errors[0].code, `${send.name} ${path}`).toBe(code);
      }
    }
    expect((await get("/v2/", admin)).status).toBe(200);
  });

  it("is read by the registry client a satellite uses (Basic after the challenge)", async () => {
    const client = createRegistryClient({
      url: gc.url,
      credentials: { username: "robot$edge-a", password: robots["edge-a"] },
      retry: { attempts: 1 },
    });
    try {
      const manifest = await client.getManifest("satellite/satellite-state/edge-a/state", "latest");
      expect(manifest).toMatchObject({ digest: published["edge-a"].digest, mediaType: DOCKER_MANIFEST });
      const layer = JSON.parse(manifest.bytes.toString()).layers[0].digest as string;
      expect(sha256(await client.getBlobBytes("satellite/satellite-state/edge-a/state", layer))).toBe(layer);
      await expect(client.getManifest("satellite/satellite-state/edge-b/state", "latest")).rejects.toMatchObject({
        status: 403,
      });
    } finally {
      client.close();
    }
  });
});
