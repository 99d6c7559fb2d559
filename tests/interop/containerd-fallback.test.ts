// containerd pulls through the satellite with a plain-HTTP upstream as its fallback, from the
// hosts.toml the satellite's runtime writer produced for `--mirrors containerd:http://<upstream>`
// (`server = "http://…"`): an image the satellite holds comes from the satellite (the upstream does
// not have it), one it lacks comes from the upstream, and with the satellite stopped the upstream
// still serves. Before, the writer said `server = "https://…"` and the last two pulls failed.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestRegistry, type TestRegistry } from "@harbor-satellite/satellite/testing";
import { configureContainerd } from "@harbor-satellite/satellite/runtime";
import { parseMirrorFlags } from "@harbor-satellite/satellite/runtime";
import { buildImage, pushImage, type SyntheticImage } from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startContainerd, type Containerd } from "./containerd.js";

describe("containerd falls back past the satellite to a plain-HTTP upstream", () => {
  let work: string;
  let satellite: TestRegistry;
  let satelliteUp = false;
  let upstream: DockerRegistry;
  let containerd: Containerd;
  let certsDir: string;
  const images: Record<"held" | "lacked" | "later", SyntheticImage> = {} as never;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hs-interop-fallback-"));
    for (const name of ["held", "lacked", "later"] as const)
      images[name] = await buildImage({
        layerSizes: [40_000, 2_000],
        format: "docker",
        dir: join(work, "blobs", name),
      });
    satellite = await startTestRegistry();
    satelliteUp = true;
    upstream = await startDockerRegistry();
    await pushImage(satellite.url, "library/held", "1", images.held);
    await pushImage(upstream.url, "library/lacked", "1", images.lacked);
    await pushImage(upstream.url, "library/later", "1", images.later);
    containerd = await startContainerd(join(work, "containerd"));

    const [spec] = parseMirrorFlags([`containerd:http://${upstream.host}`]);
    certsDir = join(work, "certs.d");
    await configureContainerd({
      registries: spec.registries,
      upstreams: spec.upstreams,
      mirror: new URL(satellite.url).host,
      configPath: join(work, "config.toml"),
      certsDir,
    });
  });

  afterAll(async () => {
    await containerd?.stop();
    if (satelliteUp) await satellite.stop();
    await upstream?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const pull = async (name: string) => {
    const ref = `${upstream.host}/library/${name}:1`;
    await containerd.ctr("images", "pull", "--hosts-dir", certsDir, "--snapshotter", "native", ref);
    const line = (await containerd.ctr("images", "ls")).split("\n").find((l) => l.startsWith(`${ref} `));
    return line?.split(/\s+/)[2];
  };

  it("wrote server = http://<upstream> with the satellite as the first host", async () => {
    const hosts = parse(await readFile(join(certsDir, upstream.host, "hosts.toml"), "utf8"));
    expect(hosts).toEqual({
      server: `http://${upstream.host}`,
      host: { [`http://${new URL(satellite.url).host}`]: { capabilities: ["pull", "resolve"] } },
    });
  });

  it("pulls an image only the satellite holds from the satellite", async () => {
    expect(await pull("held")).toBe(images.held.manifestDigest);
  });

  it("pulls an image the satellite lacks from the upstream", async () => {
    expect(await pull("lacked")).toBe(images.lacked.manifestDigest);
  });

  it("pulls from the upstream while the satellite is down", async () => {
    satelliteUp = false;
    await satellite.stop();
    expect(await pull("later")).toBe(images.later.manifestDigest);
  });
});
