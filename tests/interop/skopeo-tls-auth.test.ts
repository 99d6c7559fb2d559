// skopeo against `satellite serve` with HTTPS and read credentials (issue 12, item 5): a writer
// pushes over TLS verified against a test CA (--dest-cert-dir), a reader pulls the image back
// with the same verification, and the registry refuses a pull without credentials, with a
// reader's wrong password, from a client that does not trust the CA, and over plain HTTP.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { startServeProcess, type ServeProcess } from "@harbor-satellite/satellite/testing";
import { buildImage, writeOciLayout, type SyntheticImage } from "@harbor-satellite/testkit";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skopeo, type Skopeo } from "./skopeo.js";

describe("skopeo: satellite serve over TLS with read credentials", () => {
  let work: string;
  let satellite: ServeProcess;
  let run: Skopeo;
  let image: SyntheticImage;
  let certDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hs-interop-tls-auth-"));
    image = await buildImage({ layerSizes: [200_000, 3_000], dir: join(work, "blobs") });
    await writeOciLayout(join(work, "layout"), [{ tag: "1", image }]);
    const ca = await TestCA.create("satellite.test");
    const leaf = await ca.issueSvid("spiffe://satellite.test/registry", { noUriSan: true, ipAddresses: ["127.0.0.1"] });
    certDir = join(work, "certs");
    await mkdir(certDir);
    await Promise.all([
      writeFile(join(certDir, "ca.crt"), ca.certificate.toString()),
      writeFile(join(work, "tls.crt"), leaf.certPem),
      writeFile(join(work, "tls.key"), leaf.keyPem, { mode: 0o600 }),
      writeFile(join(work, "readers"), "node:pull-secret\n"),
      writeFile(join(work, "writers"), "ci:push-secret\n"),
    ]);
    run = await skopeo(work);
    satellite = await startServeProcess({
      dataDir: join(work, "data"),
      writeCredentialsFile: join(work, "writers"),
      extraArgs: [
        "--tls-cert",
        join(work, "tls.crt"),
        "--tls-key",
        join(work, "tls.key"),
        "--registry-read-credentials-file",
        join(work, "readers"),
      ],
    });
  });

  afterAll(async () => {
    await satellite?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const ref = () => `docker://${satellite.host}/library/app:1`;
  const tls = (side: "src" | "dest") => [`--${side}-tls-verify=true`, `--${side}-cert-dir`, certDir];

  it("announces an https:// URL", () => {
    expect(satellite.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("takes a writer's push verified against the CA", async () => {
    await run(
      "copy",
      "--preserve-digests",
      ...tls("dest"),
      "--dest-creds",
      "ci:push-secret",
      `oci:${join(work, "layout")}:1`,
      ref(),
    );
  });

  it("lets a reader pull the image with its digest", async () => {
    const out = join(work, "pulled");
    await run("copy", ...tls("src"), "--src-creds", "node:pull-secret", ref(), `dir:${out}`);
    expect(
      digestOf(
        await run("inspect", "--raw", "--tls-verify=true", "--cert-dir", certDir, "--creds", "node:pull-secret", ref()),
      ),
    ).toBe(image.manifestDigest);
  });

  it("refuses a pull without credentials or with a wrong password", async () => {
    await expect(
      run("inspect", "--raw", "--tls-verify=true", "--cert-dir", certDir, "--no-creds", ref()),
    ).rejects.toThrow(/401|unauthorized|authentication required/i);
    await expect(
      run("inspect", "--raw", "--tls-verify=true", "--cert-dir", certDir, "--creds", "node:wrong", ref()),
    ).rejects.toThrow(/401|unauthorized|authentication required/i);
  });

  it("refuses a reader's push", async () => {
    await expect(
      run(
        "copy",
        ...tls("dest"),
        "--dest-creds",
        "node:pull-secret",
        `oci:${join(work, "layout")}:1`,
        `docker://${satellite.host}/library/other:1`,
      ),
    ).rejects.toThrow(/401|unauthorized|authentication required/i);
  });

  it("is refused by a client that does not trust the CA", async () => {
    await expect(run("inspect", "--raw", "--tls-verify=true", "--creds", "node:pull-secret", ref())).rejects.toThrow(
      /certificate|x509/i,
    );
  });

  it("closes plain-HTTP connections to the TLS port", async () => {
    const result = await new Promise<string>((resolve) => {
      const req = request(`http://${satellite.host}/v2/`, { agent: false }, (res) =>
        resolve(`status ${res.statusCode}`),
      );
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    expect(result).toMatch(/ECONNRESET|socket hang up|HPE_/);
  });
});
