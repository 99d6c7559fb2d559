import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageManifest, indexManifest, storedImage, writeBlob } from "../../store/test-helpers.js";
import { call, startTestRegistry, type TestRegistry } from "../test-server.js";

describe("manifests", () => {
  let reg: TestRegistry;
  beforeAll(async () => (reg = await startTestRegistry()));
  afterAll(() => reg.stop());

  const put = (repo: string, ref: string, body: Buffer, type: string) =>
    call(reg.url, "PUT", `/v2/${repo}/manifests/${ref}`, { headers: { "content-type": type }, body });

  it("pushes by tag and pulls exact bytes with digest and Content-Type, by tag and by digest", async () => {
    const image = await storedImage(reg.store, "pull");
    const res = await put("team/app", "v1", image.manifest, MediaType.OciManifest);
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v2/team/app/manifests/${image.digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(image.digest);
    for (const ref of ["v1", image.digest]) {
      const get = await fetch(`${reg.url}/v2/team/app/manifests/${ref}`, {
        headers: { accept: MediaType.OciManifest },
      });
      expect(get.status).toBe(200);
      expect(get.headers.get("content-type")).toBe(MediaType.OciManifest);
      expect(get.headers.get("docker-content-digest")).toBe(image.digest);
      expect(get.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
      expect(Buffer.from(await get.arrayBuffer()).equals(image.manifest)).toBe(true);
      const head = await fetch(`${reg.url}/v2/team/app/manifests/${ref}`, { method: "HEAD" });
      expect([head.status, head.headers.get("content-length"), head.headers.get("docker-content-digest")]).toEqual([
        200,
        String(image.manifest.length),
        image.digest,
      ]);
    }
  });

  it("keeps a Docker schema 2 manifest list and its Content-Type", async () => {
    const config = await writeBlob(reg.store, '{"os":"linux"}');
    const layer = await writeBlob(reg.store, "docker layer");
    const child = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config: { ...config, mediaType: MediaType.DockerConfig },
        layers: [{ ...layer, mediaType: MediaType.DockerLayerGzip }],
      }),
    );
    expect((await put("docker", digestOf(child), child, MediaType.DockerManifest)).status).toBe(201);
    const list = indexManifest([{ bytes: child, mediaType: MediaType.DockerManifest }], {
      mediaType: MediaType.DockerManifestList,
    });
    expect((await put("docker", "multi", list, MediaType.DockerManifestList)).status).toBe(201);
    const get = await fetch(`${reg.url}/v2/docker/manifests/multi`);
    expect(get.headers.get("content-type")).toBe(MediaType.DockerManifestList);
    expect(Buffer.from(await get.arrayBuffer()).equals(list)).toBe(true);
  });

  it("stores an index over children pushed by digest, and refuses one over a missing child", async () => {
    const a = await storedImage(reg.store, "idx-a");
    const b = await storedImage(reg.store, "idx-b");
    const index = indexManifest([{ bytes: a.manifest }, { bytes: b.manifest }]);
    expect((await put("multi", "latest", index, MediaType.OciIndex)).code).toBe("MANIFEST_BLOB_UNKNOWN");
    for (const img of [a, b])
      expect((await put("multi", img.digest, img.manifest, MediaType.OciManifest)).status).toBe(201);
    expect((await put("multi", "latest", index, MediaType.OciIndex)).status).toBe(201);
  });

  it("pushes by digest with ?tag= and answers OCI-Tag", async () => {
    const image = await storedImage(reg.store, "tags");
    const res = await call(reg.url, "PUT", `/v2/tagged/manifests/${image.digest}?tag=1.0&tag=1&tag=latest`, {
      headers: { "content-type": MediaType.OciManifest },
      body: image.manifest,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("oci-tag")).toBe("1.0, 1, latest");
    expect(JSON.parse((await call(reg.url, "GET", "/v2/tagged/tags/list")).text).tags).toEqual(["1", "1.0", "latest"]);
  });

  it("answers OCI-Subject for a manifest with a subject, pushed before its subject", async () => {
    const subject = { mediaType: MediaType.OciManifest, digest: digestOf("future subject"), size: 14 };
    const sig = imageManifest(await writeBlob(reg.store, "{}"), [], {
      artifactType: "application/vnd.example.sig",
      subject,
    });
    const res = await put("signed", digestOf(sig), sig, MediaType.OciManifest);
    expect([res.status, res.headers.get("oci-subject")]).toEqual([201, subject.digest]);
  });

  it("deletes a tag (202), then the manifest (202); both then 404", async () => {
    const image = await storedImage(reg.store, "delete");
    await put("del", "v1", image.manifest, MediaType.OciManifest);
    await put("del", "v2", image.manifest, MediaType.OciManifest);
    expect((await call(reg.url, "DELETE", "/v2/del/manifests/v1")).status).toBe(202);
    expect((await call(reg.url, "GET", "/v2/del/manifests/v1")).code).toBe("MANIFEST_UNKNOWN");
    expect((await call(reg.url, "GET", "/v2/del/manifests/v2")).status).toBe(200);
    expect((await call(reg.url, "DELETE", `/v2/del/manifests/${image.digest}`)).status).toBe(202);
    for (const ref of ["v2", image.digest])
      expect((await call(reg.url, "GET", `/v2/del/manifests/${ref}`)).status).toBe(404);
    expect((await call(reg.url, "DELETE", `/v2/del/manifests/${image.digest}`)).status).toBe(404);
    expect((await call(reg.url, "DELETE", "/v2/never-pushed/manifests/v1")).code).toBe("NAME_UNKNOWN");
  });

  it("moves a tag to a new manifest", async () => {
    const one = await storedImage(reg.store, "move-1");
    const two = await storedImage(reg.store, "move-2");
    await put("mv", "latest", one.manifest, MediaType.OciManifest);
    await put("mv", "latest", two.manifest, MediaType.OciManifest);
    expect((await fetch(`${reg.url}/v2/mv/manifests/latest`)).headers.get("docker-content-digest")).toBe(two.digest);
    expect((await call(reg.url, "GET", `/v2/mv/manifests/${one.digest}`)).status).toBe(200);
  });

  it("answers 404 MANIFEST_UNKNOWN for unknown tags and digests, with an empty body on HEAD", async () => {
    expect((await call(reg.url, "GET", "/v2/nope/manifests/latest")).code).toBe("MANIFEST_UNKNOWN");
    expect((await call(reg.url, "GET", `/v2/nope/manifests/${digestOf("x")}`)).code).toBe("MANIFEST_UNKNOWN");
    const head = await call(reg.url, "HEAD", "/v2/nope/manifests/latest");
    expect([head.status, head.text]).toEqual([404, ""]);
  });
});
