import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureContainersRegistries } from "./containers-registries.js";
import { parseMirrorFlags } from "./mirror-spec.js";
import { RuntimeConfigError } from "./runtime-result.js";

let dir: string;
let path: string;
const now = new Date("2024-05-06T07:08:09Z");
/** Parsed TOML, walked freely by the assertions. */
type Tree = { [key: string]: Tree };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-containers-"));
  path = join(dir, "registries.conf");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("podman and CRI-O mirrors", () => {
  it("adds [[registry]] entries with the satellite as first mirror, keeping the rest", async () => {
    await writeFile(
      path,
      `unqualified-search-registries = ["docker.io", "quay.io"]\n\n[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "mirror.corp"\n\n[[registry]]\nlocation = "internal.corp"\nblocked = true\n`,
    );
    const result = await configureContainersRegistries({
      runtime: "podman",
      registries: ["docker.io", "quay.io"],
      mirror: "127.0.0.1:8585",
      registriesConfPath: path,
      now,
    });
    const conf = parse(await readFile(path, "utf8")) as Tree;
    expect(conf["unqualified-search-registries"]).toEqual(["docker.io", "quay.io"]);
    expect(conf.registry).toEqual([
      { location: "docker.io", mirror: [{ location: "127.0.0.1:8585", insecure: true }, { location: "mirror.corp" }] },
      { location: "internal.corp", blocked: true },
      { location: "quay.io", mirror: [{ location: "127.0.0.1:8585", insecure: true }] },
    ]);
    expect(result.files[0].backup).toBe(`${path}.bak.20240506T070809`);
    expect(result.restartRequired).toBe(false);
  });

  it("is idempotent, and CRI-O is told to reload", async () => {
    const first = await configureContainersRegistries({
      runtime: "crio",
      registries: ["docker.io"],
      mirror: "https://sat:8443",
      registriesConfPath: path,
      now,
    });
    expect(first.restartRequired).toBe(true);
    expect((parse(await readFile(path, "utf8")) as Tree).registry[0].mirror).toEqual([
      { location: "sat:8443", insecure: false },
    ]);
    const again = await configureContainersRegistries({
      runtime: "crio",
      registries: ["docker.io"],
      mirror: "https://sat:8443",
      registriesConfPath: path,
      now,
    });
    expect(again.files[0].changed).toBe(false);
    expect(await readdir(dir)).toEqual(["registries.conf"]);
  });

  it("marks a plain-HTTP or skip_verify upstream insecure on its own entry, and says where a CA goes", async () => {
    const [spec] = parseMirrorFlags([
      "podman:http://10.0.0.5:5000,https://lab.local?skip_verify=true,https://reg.corp?ca=/etc/ssl/corp.pem,docker.io",
    ]);
    const result = await configureContainersRegistries({
      runtime: "podman",
      registries: spec.registries,
      upstreams: spec.upstreams,
      mirror: "127.0.0.1:8585",
      registriesConfPath: path,
      now,
    });
    const mirror = [{ location: "127.0.0.1:8585", insecure: true }];
    expect((parse(await readFile(path, "utf8")) as Tree).registry).toEqual([
      { location: "10.0.0.5:5000", insecure: true, mirror },
      { location: "lab.local", insecure: true, mirror },
      { location: "reg.corp", mirror },
      { location: "docker.io", mirror },
    ]);
    expect(result.notes).toEqual([
      "podman reads reg.corp's CA from /etc/containers/certs.d/reg.corp/*.crt: copy /etc/ssl/corp.pem there",
    ]);
    const [https] = parseMirrorFlags(["podman:https://10.0.0.5:5000"]);
    await configureContainersRegistries({
      runtime: "podman",
      registries: https.registries,
      upstreams: https.upstreams,
      mirror: "127.0.0.1:8585",
      registriesConfPath: path,
      now,
    });
    expect((parse(await readFile(path, "utf8")) as Tree).registry[0]).toEqual({ location: "10.0.0.5:5000", mirror });
  });

  it("refuses the v1 format instead of mixing formats", async () => {
    await writeFile(path, `[registries.search]\nregistries = ["docker.io"]\n`);
    await expect(
      configureContainersRegistries({
        runtime: "podman",
        registries: ["docker.io"],
        mirror: "127.0.0.1:8585",
        registriesConfPath: path,
        now,
      }),
    ).rejects.toThrow(RuntimeConfigError);
  });
});
