// Read-only mode, side by side: content is pushed while both registries are writable, then both
// restart read-only on the same data (satellite serve --read-only; docker-registry with
// storage.maintenance.readonly). Pulls must keep working; every write must be refused the same
// way by both (405, Allow: GET, HEAD).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServeProcess, type ServeProcess } from "@harbor-satellite/satellite/testing";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckContext, type Check } from "./check.js";
import { makeFixtures } from "./fixtures.js";
import { pushManifest } from "./setup.js";

const f = makeFixtures();
const REPO = "conformance/read-only";

const preload: Check = {
  id: "read-only",
  category: "push",
  title: "preload",
  spec: "",
  run: (t) => pushManifest(t, REPO, "v1", f.index),
};

describe("read-only mode matches docker-registry's", () => {
  let work: string;
  let satellite: ServeProcess;
  let docker: DockerRegistry;
  let dockerData: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hs-readonly-"));
    dockerData = join(work, "docker");
    const satData = join(work, "satellite");
    const [rwSat, rwDocker] = await Promise.all([
      startServeProcess({ dataDir: satData }),
      startDockerRegistry({ dir: dockerData }),
    ]);
    for (const url of [rwSat.url, rwDocker.url]) await preload.run(new CheckContext({ name: "preload", url }, preload));
    await Promise.all([rwSat.stop(), rwDocker.stop()]);
    [satellite, docker] = await Promise.all([
      startServeProcess({ dataDir: satData, readOnly: true }),
      startDockerRegistry({ dir: dockerData, readOnly: true }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([satellite?.stop(), docker?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const statusOf = async (url: string, method: string, path: string, body?: Buffer) => {
    const res = await fetch(`${url}${path}`, { method, body, headers: { accept: f.index.mediaType } });
    await res.arrayBuffer();
    return [res.status, res.headers.get("allow")];
  };

  it("serves what was pushed before, by tag and digest", async () => {
    for (const url of [satellite.url, docker.url]) {
      const res = await fetch(`${url}/v2/${REPO}/manifests/v1`, { headers: { accept: f.index.mediaType } });
      expect(res.headers.get("docker-content-digest")).toBe(f.index.digest);
      expect(Buffer.from(await res.arrayBuffer()).equals(f.index.bytes)).toBe(true);
      const layer = f.image.blobs[1];
      const blob = await fetch(`${url}/v2/${REPO}/blobs/${layer.digest}`);
      expect(Buffer.from(await blob.arrayBuffer()).equals(layer.bytes)).toBe(true);
    }
  });

  it("refuses every write exactly as docker-registry does", async () => {
    const writes: [string, string, Buffer?][] = [
      ["POST", `/v2/${REPO}/blobs/uploads/`],
      ["PUT", `/v2/${REPO}/manifests/v2`, f.image.bytes],
      ["DELETE", `/v2/${REPO}/manifests/${f.index.digest}`],
      ["DELETE", `/v2/${REPO}/manifests/v1`],
      ["DELETE", `/v2/${REPO}/blobs/${f.image.blobs[1].digest}`],
    ];
    for (const [method, path, body] of writes) {
      const ours = await statusOf(satellite.url, method, path, body);
      expect(ours, `${method} ${path}`).toEqual([405, "GET, HEAD"]);
      expect(await statusOf(docker.url, method, path, body), `${method} ${path}`).toEqual(ours);
    }
    expect((await fetch(`${satellite.url}/v2/${REPO}/manifests/v1`, { method: "HEAD" })).status).toBe(200);
  });
});
