// containerd pulls from the satellite: `ctr images pull --plain-http` straight from it, and as a
// registry mirror for docker.io configured through hosts.toml (containerd then adds `?ns=` to
// every request). Images unpack, so every layer is a real tar containerd accepted.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServeProcess, type ServeProcess } from "@harbor-satellite/satellite/testing";
import { buildIndex, pushIndex, type SyntheticIndex } from "@harbor-satellite/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startContainerd, type Containerd } from "./containerd.js";

describe("containerd pulls from the satellite", () => {
  let work: string;
  let satellite: ServeProcess;
  let containerd: Containerd;
  let index: SyntheticIndex;
  const requests: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hs-interop-ctr-"));
    index = await buildIndex(
      [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
      ],
      { layerSizes: [500_000, 3_000], dir: join(work, "blobs") },
    );
    satellite = await startServeProcess({ dataDir: join(work, "satellite"), logLevel: "debug" });
    satellite.child.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n"))
        if (line.includes('"msg":"request"')) requests.push((JSON.parse(line) as { url: string }).url);
    });
    await pushIndex(satellite.url, "library/app", "1.0", index);
    containerd = await startContainerd(join(work, "containerd"));
  });

  afterAll(async () => {
    await containerd?.stop();
    await satellite?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const imageDigest = async (name: string) => {
    const list = await containerd.ctr("images", "ls");
    const line = list.split("\n").find((l) => l.startsWith(`${name} `));
    return line?.split(/\s+/)[2];
  };

  it("pulls and unpacks an image over plain HTTP, with the index digest", async () => {
    const ref = `${satellite.host}/library/app:1.0`;
    await containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", ref);
    expect(await imageDigest(ref)).toBe(index.manifestDigest);
    const amd64 = index.images[0];
    const content = await containerd.ctr("content", "ls", "-q");
    for (const blob of [amd64.config, ...amd64.layers]) expect(content).toContain(blob.digest);
    await containerd.ctr("images", "check", `name==${ref}`);
  });

  it("pulls docker.io/library/app through the satellite as a mirror (hosts.toml, ?ns=)", async () => {
    const hosts = join(work, "certs.d");
    await mkdir(join(hosts, "docker.io"), { recursive: true });
    await writeFile(
      join(hosts, "docker.io", "hosts.toml"),
      `server = "https://registry-1.docker.io"\n\n[host."http://${satellite.host}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    const before = requests.length;
    await containerd.ctr(
      "images",
      "pull",
      "--hosts-dir",
      hosts,
      "--snapshotter",
      "native",
      "docker.io/library/app:1.0",
    );
    expect(await imageDigest("docker.io/library/app:1.0")).toBe(index.manifestDigest);
    expect(requests.slice(before).some((url) => url.includes("ns=docker.io"))).toBe(true);
  });
});
