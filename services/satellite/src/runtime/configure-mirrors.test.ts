import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureMirrors, type RuntimePaths } from "./configure-mirrors.js";
import { parseMirrorFlags } from "./mirror-spec.js";

let dir: string;
let paths: RuntimePaths;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-mirrors-"));
  paths = {
    containerdConfig: join(dir, "containerd.toml"),
    containerdCertsDir: join(dir, "certs.d"),
    dockerDaemonJson: join(dir, "daemon.json"),
    registriesConf: join(dir, "registries.conf"),
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("configureMirrors", () => {
  it("configures every runtime, carries on past a failure, and reports like the original's activity line", async () => {
    await writeFile(paths.dockerDaemonJson, "not json");
    await writeFile(paths.containerdConfig, "version = 2\n");
    const report = await configureMirrors({
      specs: parseMirrorFlags(["docker:true", "containerd:docker.io", "podman:docker.io"]),
      mirror: "127.0.0.1:8585",
      paths,
      now: new Date("2024-01-02T03:04:05Z"),
    });
    expect(report.failed).toBe(true);
    expect(report.outcomes.map((o) => [o.runtime, "error" in o])).toEqual([
      ["docker", true],
      ["containerd", false],
      ["podman", false],
    ]);
    expect(report.activity).toMatch(
      /^cri_fallback_configured: docker\(failed: .*\), containerd\(ok, backup:.*containerd.toml.bak.20240102T030405\), podman\(ok\)$/,
    );
    expect(await readFile(paths.registriesConf, "utf8")).toContain("127.0.0.1:8585");
  });
});
