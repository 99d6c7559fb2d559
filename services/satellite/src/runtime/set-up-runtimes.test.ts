import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRuntimeFlags } from "../flags/runtime-flags.js";
import type { RuntimePaths } from "./configure-mirrors.js";
import type { DaemonControl } from "./docker-control.js";
import { setUpRuntimes } from "./set-up-runtimes.js";

let dir: string;
let paths: RuntimePaths;
let lines: { msg: string; level: number }[];
const logger = () =>
  pino(
    { level: "info" },
    new Writable({
      write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk)) as { msg: string; level: number }), done()),
    }),
  );

/** A dockerd that applies daemon.json on reload. */
function fakeDocker() {
  const calls: string[] = [];
  let mirrors: string[] = [];
  const control: DaemonControl = {
    reload: async () => {
      calls.push("reload");
      mirrors = (JSON.parse(await readFile(paths.dockerDaemonJson, "utf8")) as { "registry-mirrors": string[] })[
        "registry-mirrors"
      ];
    },
    restart: async () => void calls.push("restart"),
    mirrors: async () => mirrors,
  };
  return { control, calls };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-setup-rt-"));
  paths = {
    containerdConfig: join(dir, "config.toml"),
    containerdCertsDir: join(dir, "certs.d"),
    dockerDaemonJson: join(dir, "daemon.json"),
    registriesConf: join(dir, "registries.conf"),
  };
  lines = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("setting the runtimes up", () => {
  const detect = async () => [
    { runtime: "containerd" as const, evidence: join(dir, "containerd.sock") },
    { runtime: "docker" as const, evidence: "/usr/bin/dockerd" },
  ];

  it("registry_fallback enabled: detects, logs what it found in one line, configures containerd and reloads dockerd", async () => {
    const docker = fakeDocker();
    const report = await setUpRuntimes({
      flags: parseRuntimeFlags({}, {}),
      registryFallback: { enabled: true, registries: ["docker.io"], runtimes: [] },
      mirror: "0.0.0.0:8585",
      logger: logger(),
      paths,
      detect,
      dockerControl: docker.control,
    });
    expect(report?.activity).toMatch(/^cri_fallback_configured: containerd\(ok\), docker\(ok\)$/);
    expect(lines.filter((l) => l.msg.startsWith("runtimes detected:")).map((l) => l.msg)).toEqual([
      `runtimes detected: containerd (socket ${join(dir, "containerd.sock")}), docker (binary /usr/bin/dockerd)`,
    ]);
    expect(parse(await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8"))).toMatchObject({
      server: "https://docker.io",
    });
    expect(docker.calls).toEqual(["reload"]);
  });

  it("--no-runtime-restart: daemon.json changes, dockerd is left alone and the note says how to apply it", async () => {
    const docker = fakeDocker();
    const report = await setUpRuntimes({
      flags: parseRuntimeFlags({ mirrors: ["docker:true"], "no-runtime-restart": true }, {}),
      registryFallback: { enabled: false, registries: [], runtimes: [] },
      mirror: "0.0.0.0:8585",
      logger: logger(),
      paths,
      detect,
      dockerControl: docker.control,
    });
    expect(report?.outcomes).toMatchObject([
      { runtime: "docker", restartRequired: true, notes: [expect.stringMatching(/systemctl reload docker/)] },
    ]);
    expect(docker.calls).toEqual([]);
    expect(lines.some((l) => l.msg.startsWith("runtimes detected"))).toBe(false);
  });

  it("--no-registry-fallback: nothing configured, nothing detected, even with registry_fallback enabled", async () => {
    const report = await setUpRuntimes({
      flags: parseRuntimeFlags({ "no-registry-fallback": true }, {}),
      registryFallback: { enabled: true, registries: ["docker.io"], runtimes: ["containerd"] },
      mirror: "0.0.0.0:8585",
      logger: logger(),
      paths,
      detect: () => Promise.reject(new Error("not called")),
    });
    expect(report).toBeUndefined();
    await expect(readFile(paths.containerdConfig)).rejects.toThrow(/ENOENT/);
    expect(lines.map((l) => l.msg)).toEqual(["--no-registry-fallback: no container runtime configured"]);
  });

  it("a registry_fallback naming a bad registry configures nothing and says why", async () => {
    const report = await setUpRuntimes({
      flags: parseRuntimeFlags({}, {}),
      registryFallback: { enabled: true, registries: ["not a host"], runtimes: ["containerd"] },
      mirror: "0.0.0.0:8585",
      logger: logger(),
      paths,
    });
    expect(report).toBeUndefined();
    expect(lines.map((l) => l.msg)).toEqual([
      "app_config.registry_fallback is unusable; no container runtime configured",
    ]);
  });

  it("registry_fallback wins over --mirrors with a warning", async () => {
    await setUpRuntimes({
      flags: parseRuntimeFlags({ mirrors: ["podman:quay.io"] }, {}),
      registryFallback: { enabled: true, registries: ["docker.io"], runtimes: ["containerd"] },
      mirror: "0.0.0.0:8585",
      logger: logger(),
      paths,
    });
    expect(lines.find((l) => l.level === 40)?.msg).toMatch(/registry_fallback is enabled and wins over --mirrors/);
    await expect(readFile(paths.registriesConf)).rejects.toThrow(/ENOENT/);
  });
});
