// Real clients against the satellite: skopeo copies an OCI layout into `satellite serve`, then
// from the satellite into docker-registry, and every manifest and index digest survives both
// hops. skopeo also reads the satellite's data dir directly as an OCI image layout.
// skopeo 1.9.3's oci: transport resolves only refs whose descriptor has an OCI media type, so the
// Docker schema 2 image reaches the satellite over HTTP (pushImage) rather than from a layout.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { startServeProcess, type ServeProcess } from "@harbor-satellite/satellite/testing";
import {
  buildImage,
  buildIndex,
  pushImage,
  writeOciLayout,
  type SyntheticImage,
  type SyntheticIndex,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skopeo, type Skopeo } from "./skopeo.js";

describe("skopeo: OCI layout → satellite → docker-registry keeps digests", () => {
  let work: string;
  let satellite: ServeProcess;
  let docker: DockerRegistry;
  let run: Skopeo;
  let index: SyntheticIndex;
  let dockerImage: SyntheticImage;
  const layout = () => join(work, "layout");
  const satData = () => join(work, "satellite");

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hs-interop-skopeo-"));
    const blobs = join(work, "blobs");
    index = await buildIndex(
      [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64", variant: "v8" },
      ],
      { layerSizes: [300_000, 2_000], dir: blobs },
    );
    dockerImage = await buildImage({ layerSizes: [100_000], format: "docker", dir: blobs });
    await writeOciLayout(layout(), [{ tag: "multi", image: index }]);
    run = await skopeo(work);
    [satellite, docker] = await Promise.all([startServeProcess({ dataDir: satData() }), startDockerRegistry()]);
  });

  afterAll(async () => {
    await Promise.all([satellite?.stop(), docker?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const rawDigest = async (ref: string, tlsFlag = "--tls-verify=false") =>
    digestOf(await run("inspect", "--raw", ...(ref.startsWith("docker://") ? [tlsFlag] : []), ref));

  it("copies a multi-arch OCI index into the satellite with every digest unchanged", async () => {
    await run(
      "copy",
      "--all",
      "--preserve-digests",
      "--dest-tls-verify=false",
      `oci:${layout()}:multi`,
      `docker://${satellite.host}/library/app:1.0`,
    );
    const res = await fetch(`${satellite.url}/v2/library/app/manifests/1.0`, {
      headers: { accept: MediaType.OciIndex },
    });
    expect(res.headers.get("docker-content-digest")).toBe(index.manifestDigest);
    expect(Buffer.from(await res.arrayBuffer()).equals(index.manifest)).toBe(true);
    for (const image of index.images) {
      expect(await rawDigest(`docker://${satellite.host}/library/app@${image.manifestDigest}`)).toBe(
        image.manifestDigest,
      );
    }
  });

  it("takes a Docker schema 2 image, keeping its media type and digest", async () => {
    await pushImage(satellite.url, "library/legacy", "1.0", dockerImage);
    expect(await rawDigest(`docker://${satellite.host}/library/legacy:1.0`)).toBe(dockerImage.manifestDigest);
    const res = await fetch(`${satellite.url}/v2/library/legacy/manifests/1.0`, {
      headers: { accept: MediaType.DockerManifest },
    });
    expect([res.headers.get("content-type"), res.headers.get("docker-content-digest")]).toEqual([
      MediaType.DockerManifest,
      dockerImage.manifestDigest,
    ]);
  });

  it("copies from the satellite to docker-registry with index and manifest digests preserved", async () => {
    await run(
      "copy",
      "--all",
      "--preserve-digests",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${satellite.host}/library/app:1.0`,
      `docker://${docker.host}/mirror/app:1.0`,
    );
    await run(
      "copy",
      "--preserve-digests",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${satellite.host}/library/legacy:1.0`,
      `docker://${docker.host}/mirror/legacy:1.0`,
    );
    expect(await rawDigest(`docker://${docker.host}/mirror/app:1.0`)).toBe(index.manifestDigest);
    for (const image of index.images)
      expect(await rawDigest(`docker://${docker.host}/mirror/app@${image.manifestDigest}`)).toBe(image.manifestDigest);
    expect(await rawDigest(`docker://${docker.host}/mirror/legacy:1.0`)).toBe(dockerImage.manifestDigest);
    // And every layer arrived whole: skopeo verifies blob digests as it copies; check one more way.
    const layer = index.images[0].layers[0];
    const blob = await fetch(`${docker.url}/v2/mirror/app/blobs/${layer.digest}`);
    expect(digestOf(Buffer.from(await blob.arrayBuffer()))).toBe(layer.digest);
  });

  it("reads the satellite's data dir as an OCI image layout (oci:<dir>:<repository>:<tag>)", async () => {
    expect(await rawDigest(`oci:${satData()}:library/app:1.0`)).toBe(index.manifestDigest);
    const inspected = JSON.parse(await run("inspect", `oci:${satData()}:library/app:1.0`)) as {
      Digest: string;
      Architecture: string;
    };
    expect(inspected.Architecture).toBe("amd64");
    // A full copy out of the layout verifies every blob skopeo reads from it.
    await run(
      "copy",
      "--all",
      "--preserve-digests",
      `oci:${satData()}:library/app:1.0`,
      `oci:${join(work, "roundtrip")}:app`,
    );
    expect(await rawDigest(`oci:${join(work, "roundtrip")}:app`)).toBe(index.manifestDigest);
  });
});
