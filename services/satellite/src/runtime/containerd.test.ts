import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureContainerd } from "./containerd.js";
import { parseMirrorFlags } from "./mirror-spec.js";
import { RuntimeConfigError } from "./runtime-result.js";

let dir: string;
let configPath: string;
let certsDir: string;
const now = new Date("2024-05-06T07:08:09Z");
/** Parsed TOML, walked freely by the assertions. */
type Tree = { [key: string]: Tree };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-containerd-"));
  configPath = join(dir, "config.toml");
  certsDir = join(dir, "certs.d");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const toml = async (path: string) => parse(await readFile(path, "utf8")) as Tree;

describe("containerd mirrors", () => {
  it("sets config_path for containerd 1.x (config version 2), keeping other settings, with a backup", async () => {
    await writeFile(
      configPath,
      `version = 2\nroot = "/var/lib/containerd"\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.6"\n[grpc]\n  address = "/run/containerd/containerd.sock"\n`,
      { mode: 0o640 },
    );
    const result = await configureContainerd({
      registries: ["docker.io", "quay.io"],
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      now,
    });
    const config = await toml(configPath);
    expect(config.plugins["io.containerd.grpc.v1.cri"].registry.config_path).toBe(certsDir);
    expect(config.plugins["io.containerd.grpc.v1.cri"].sandbox_image).toBe("registry.k8s.io/pause:3.6");
    expect(config.grpc.address).toBe("/run/containerd/containerd.sock");
    expect(config.root).toBe("/var/lib/containerd");
    expect((await stat(configPath)).mode & 0o777).toBe(0o640);
    expect(result.restartRequired).toBe(true);
    const backup = result.files.find((f) => f.path === configPath)?.backup;
    expect(backup).toBe(`${configPath}.bak.20240506T070809`);
    expect(await readFile(backup!, "utf8")).toContain('sandbox_image = "registry.k8s.io/pause:3.6"');
    expect(await toml(join(certsDir, "docker.io", "hosts.toml"))).toEqual({
      server: "https://docker.io",
      host: { "http://127.0.0.1:8585": { capabilities: ["pull", "resolve"] } },
    });
    expect(await toml(join(certsDir, "quay.io", "hosts.toml"))).toMatchObject({ server: "https://quay.io" });
  });

  it("sets config_path for containerd 2.x (config version 3)", async () => {
    await writeFile(configPath, `version = 3\n[plugins."io.containerd.cri.v1.runtime"]\n  enable_selinux = false\n`);
    await configureContainerd({ registries: ["docker.io"], mirror: "127.0.0.1:8585", configPath, certsDir, now });
    const config = await toml(configPath);
    expect(config.plugins["io.containerd.cri.v1.images"].registry.config_path).toBe(certsDir);
    expect(config.plugins["io.containerd.cri.v1.runtime"].enable_selinux).toBe(false);
    expect(config.plugins["io.containerd.grpc.v1.cri"]).toBeUndefined();
  });

  it("creates a config for a containerd without one, in its version's layout", async () => {
    await configureContainerd({
      registries: ["docker.io"],
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      majorVersion: 2,
      now,
    });
    expect(await toml(configPath)).toEqual({
      version: 3,
      plugins: { "io.containerd.cri.v1.images": { registry: { config_path: certsDir } } },
    });
    await rm(configPath);
    await configureContainerd({
      registries: ["docker.io"],
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      majorVersion: 1,
      now,
    });
    expect((await toml(configPath)).version).toBe(2);
  });

  it("merges with existing hosts (satellite first) and keeps the server", async () => {
    await mkdir(join(certsDir, "docker.io"), { recursive: true });
    await writeFile(
      join(certsDir, "docker.io", "hosts.toml"),
      `server = "https://registry-1.docker.io"\n[host."https://mirror.corp"]\n  capabilities = ["pull"]\n  skip_verify = true\n`,
    );
    await configureContainerd({ registries: ["docker.io"], mirror: "http://10.0.0.2:8585", configPath, certsDir, now });
    const text = await readFile(join(certsDir, "docker.io", "hosts.toml"), "utf8");
    const hosts = parse(text) as Tree;
    expect(hosts.server).toBe("https://registry-1.docker.io");
    expect(Object.keys(hosts.host)).toEqual(["http://10.0.0.2:8585", "https://mirror.corp"]);
    expect(hosts.host["https://mirror.corp"]).toEqual({ capabilities: ["pull"], skip_verify: true });
    expect(text.indexOf("10.0.0.2")).toBeLessThan(text.indexOf("mirror.corp"));
  });

  it("is idempotent: a second run changes nothing and makes no backup", async () => {
    await writeFile(configPath, "version = 2\n");
    await configureContainerd({ registries: ["docker.io"], mirror: "127.0.0.1:8585", configPath, certsDir, now });
    const before = (await readdir(dir)).sort();
    const again = await configureContainerd({
      registries: ["docker.io"],
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      now: new Date(now.getTime() + 5000),
    });
    expect(again.files.every((f) => !f.changed)).toBe(true);
    expect(again.restartRequired).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it("writes hosts where an existing config_path already points, without touching config.toml", async () => {
    const other = join(dir, "elsewhere");
    await writeFile(
      configPath,
      `version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${other}"\n`,
    );
    const result = await configureContainerd({
      registries: ["docker.io"],
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      now,
    });
    expect(result.files.find((f) => f.path === configPath)?.changed).toBe(false);
    expect((await toml(join(other, "docker.io", "hosts.toml"))).host).toHaveProperty(["http://127.0.0.1:8585"]);
  });

  it('writes a plain-HTTP upstream as server = "http://…" and TLS options on the server, per upstream', async () => {
    const [spec] = parseMirrorFlags([
      "containerd:http://10.0.0.5:5000,https://reg.corp:5443?ca=/etc/ssl/Corp-CA.pem,https://lab.local?skip_verify=true,docker.io",
    ]);
    await configureContainerd({
      registries: spec.registries,
      upstreams: spec.upstreams,
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      now,
    });
    const mirrorHost = { "http://127.0.0.1:8585": { capabilities: ["pull", "resolve"] } };
    expect(await toml(join(certsDir, "10.0.0.5:5000", "hosts.toml"))).toEqual({
      server: "http://10.0.0.5:5000",
      host: mirrorHost,
    });
    expect(await toml(join(certsDir, "reg.corp:5443", "hosts.toml"))).toEqual({
      server: "https://reg.corp:5443",
      ca: "/etc/ssl/Corp-CA.pem",
      host: mirrorHost,
    });
    expect(await toml(join(certsDir, "lab.local", "hosts.toml"))).toEqual({
      server: "https://lab.local",
      skip_verify: true,
      host: mirrorHost,
    });
    expect(await toml(join(certsDir, "docker.io", "hosts.toml"))).toEqual({
      server: "https://docker.io",
      host: mirrorHost,
    });
  });

  it("an upstream given a scheme or options replaces the server and its TLS keys; without them an existing server is kept", async () => {
    const hostsPath = join(certsDir, "reg.corp", "hosts.toml");
    await mkdir(join(certsDir, "reg.corp"), { recursive: true });
    await writeFile(
      hostsPath,
      `server = "https://reg.corp"\nskip_verify = true\n[host."https://cache.corp"]\n  capabilities = ["pull"]\n`,
    );
    await configureContainerd({ registries: ["reg.corp"], mirror: "127.0.0.1:8585", configPath, certsDir, now });
    expect(await toml(hostsPath)).toMatchObject({ server: "https://reg.corp", skip_verify: true });
    const [spec] = parseMirrorFlags(["containerd:http://reg.corp"]);
    await configureContainerd({
      registries: spec.registries,
      upstreams: spec.upstreams,
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      now,
    });
    const hosts = await toml(hostsPath);
    expect(hosts).toEqual({
      server: "http://reg.corp",
      host: {
        "http://127.0.0.1:8585": { capabilities: ["pull", "resolve"] },
        "https://cache.corp": { capabilities: ["pull"] },
      },
    });
    const again = await configureContainerd({
      registries: spec.registries,
      upstreams: spec.upstreams,
      mirror: "127.0.0.1:8585",
      configPath,
      certsDir,
      now,
    });
    expect(again.files.every((f) => !f.changed)).toBe(true);
  });

  it("refuses a config with legacy registry.mirrors, which containerd rejects alongside config_path", async () => {
    const original = `version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n`;
    await writeFile(configPath, original);
    await expect(
      configureContainerd({ registries: ["docker.io"], mirror: "127.0.0.1:8585", configPath, certsDir, now }),
    ).rejects.toThrow(RuntimeConfigError);
    expect(await readFile(configPath, "utf8")).toBe(original);
  });
});
