// A real containerd pulls through the satellite's registry over HTTPS with read credentials,
// from the hosts.toml the runtime writer produced with the satellite's access (issue 12, item 5):
// `ca` is the satellite's certificate file itself (no CA file needed: Go trusts a pooled
// certificate as is) and the host entry carries a reader's Authorization header. Without the
// header the same pull is refused (and the unreachable upstream cannot serve it either).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseWriteCredentials, startRegistryServer, type RegistryServer } from "@harbor-satellite/satellite/registry";
import { startTestRegistry, type TestRegistry } from "@harbor-satellite/satellite/testing";
import { configureContainerd } from "@harbor-satellite/satellite/runtime";
import { basicAuthorization } from "@harbor-satellite/satellite/runtime";
import { buildImage, pushImage, type SyntheticImage } from "@harbor-satellite/testkit";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startContainerd, type Containerd } from "./containerd.js";

const UPSTREAM = "upstream.invalid:5000";

describe("containerd pulls from the satellite over TLS with read credentials", () => {
  let work: string;
  let plain: TestRegistry;
  let satellite: RegistryServer;
  let containerd: Containerd;
  let image: SyntheticImage;
  const auth = basicAuthorization("node", "pull-secret");

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hs-interop-tls-auth-"));
    image = await buildImage({ layerSizes: [40_000, 2_000], format: "docker", dir: join(work, "blobs") });
    // The image goes in over plain HTTP; the TLS listener with read credentials serves the same store.
    plain = await startTestRegistry();
    await pushImage(plain.url, "library/app", "1", image);
    const ca = await TestCA.create("satellite.test");
    const leaf = await ca.issueSvid("spiffe://satellite.test/registry", { noUriSan: true, ipAddresses: ["127.0.0.1"] });
    await writeFile(join(work, "tls.crt"), leaf.certPem);
    satellite = await startRegistryServer({
      store: plain.store,
      host: "127.0.0.1",
      port: 0,
      readOnly: true,
      readCredentials: parseWriteCredentials("node:pull-secret\n"),
      tls: { cert: Buffer.from(leaf.certPem), key: Buffer.from(leaf.keyPem) },
    });
    containerd = await startContainerd(join(work, "containerd"));
  });

  afterAll(async () => {
    await containerd?.stop();
    await satellite?.close();
    await plain?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const configure = async (name: string, authorization?: string) => {
    const certsDir = join(work, name);
    await configureContainerd({
      registries: [UPSTREAM],
      mirror: satellite.url,
      mirrorAccess: { ca: join(work, "tls.crt"), authorization },
      configPath: join(work, `${name}.toml`),
      certsDir,
    });
    return certsDir;
  };
  const pull = async (certsDir: string, ref: string) => {
    await containerd.ctr("images", "pull", "--hosts-dir", certsDir, "--snapshotter", "native", ref);
    return (await containerd.ctr("images", "ls"))
      .split("\n")
      .find((l) => l.startsWith(`${ref} `))
      ?.split(/\s+/)[2];
  };

  it("wrote the satellite's https host with its ca and the reader's header", async () => {
    const certsDir = await configure("with-auth", auth);
    const hosts = parse(await readFile(join(certsDir, UPSTREAM, "hosts.toml"), "utf8"));
    expect(hosts).toEqual({
      server: `https://${UPSTREAM}`,
      host: {
        [satellite.url]: {
          capabilities: ["pull", "resolve"],
          ca: join(work, "tls.crt"),
          header: { Authorization: [auth] },
        },
      },
    });
  });

  it("pulls the image through the satellite", async () => {
    expect(await pull(join(work, "with-auth"), `${UPSTREAM}/library/app:1`)).toBe(image.manifestDigest);
  });

  it("is refused without the credentials", async () => {
    const certsDir = await configure("no-auth");
    await containerd.ctr("images", "rm", `${UPSTREAM}/library/app:1`).catch(() => undefined);
    await expect(pull(certsDir, `${UPSTREAM}/library/app:1`)).rejects.toThrow(/401|unauthorized/i);
  });
});
