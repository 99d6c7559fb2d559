import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestCA } from "@harbor-satellite/testkit/spiffe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "./usage-error.js";
import { loadRegistryTls, parseRegistryFlags, resolveReadCredentials } from "./registry-flags.js";
import { parseServeArgs } from "../commands/serve.js";

describe("registry TLS and read credential flags", () => {
  let dir: string;
  let cert: string;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hs-registry-flags-"));
    const ca = await TestCA.create("flags.test");
    const [leaf, other] = await Promise.all([
      ca.issueSvid("spiffe://flags.test/a", { noUriSan: true, ipAddresses: ["127.0.0.1"] }),
      ca.issueSvid("spiffe://flags.test/b"),
    ]);
    [cert, key, otherKey] = [join(dir, "cert.pem"), join(dir, "key.pem"), join(dir, "other.pem")];
    await Promise.all([writeFile(cert, leaf.certPem), writeFile(key, leaf.keyPem), writeFile(otherKey, other.keyPem)]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("takes the files from flags or the environment, the TLS pair together", () => {
    expect(
      parseRegistryFlags({
        "registry-tls-cert": "/c.pem",
        "registry-tls-key": "/k.pem",
        "registry-read-credentials-file": "/r",
      }),
    ).toMatchObject({ tls: { certFile: "/c.pem", keyFile: "/k.pem" }, readCredentialsFile: "/r" });
    expect(
      parseRegistryFlags({}, { REGISTRY_TLS_CERT: "/c", REGISTRY_TLS_KEY: "/k", REGISTRY_READ_CREDENTIALS_FILE: "/r" }),
    ).toMatchObject({ tls: { certFile: "/c", keyFile: "/k" }, readCredentialsFile: "/r" });
    expect(parseRegistryFlags({}).tls).toBeUndefined();
    expect(() => parseRegistryFlags({ "registry-tls-cert": "/c.pem" })).toThrow(/go together/);
    expect(() => parseRegistryFlags({ "registry-read-credentials-file": " " })).toThrow(/needs a path/);
  });

  it("satellite serve takes --tls-cert/--tls-key", () => {
    expect(
      parseServeArgs(
        ["--data-dir", "/d", "--tls-cert", "/c", "--tls-key", "/k", "--registry-read-credentials-file", "/r"],
        {},
      ),
    ).toMatchObject({ tls: { certFile: "/c", keyFile: "/k" }, readCredentialsFile: "/r" });
    expect(() => parseServeArgs(["--data-dir", "/d", "--tls-key", "/k"], {})).toThrow(UsageError);
  });

  it("loads a matching pair and refuses a key that does not match or a missing file", async () => {
    expect((await loadRegistryTls({ certFile: cert, keyFile: key }))?.cert.toString()).toContain("BEGIN CERTIFICATE");
    await expect(loadRegistryTls({ certFile: cert, keyFile: otherKey })).rejects.toThrow(
      /--registry-tls-cert\/--registry-tls-key: not a usable certificate and key/,
    );
    await expect(
      loadRegistryTls({ certFile: join(dir, "none.pem"), keyFile: key }, { cert: "--tls-cert", key: "--tls-key" }),
    ).rejects.toThrow(/--tls-cert: cannot read .*ENOENT/);
    expect(await loadRegistryTls(undefined)).toBeUndefined();
  });

  it("reads a read credentials file, and names the flag when it cannot", async () => {
    const file = join(dir, "readers");
    await writeFile(file, "node:secret\n");
    expect((await resolveReadCredentials(file))?.users).toEqual(["node"]);
    await writeFile(file, "# nobody\n");
    await expect(resolveReadCredentials(file)).rejects.toThrow(/--registry-read-credentials-file: .*names no user/);
    await expect(resolveReadCredentials(join(dir, "none"))).rejects.toThrow(
      /--registry-read-credentials-file: cannot read the registry read credentials file/,
    );
  });
});
