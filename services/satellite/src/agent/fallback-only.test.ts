import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/satellite-config.js";
import type { RuntimePaths } from "../runtime/configure-mirrors.js";
import { parseAgentArgs } from "./agent-options.js";
import { runFallbackOnly } from "./fallback-only.js";

let dir: string;
let paths: RuntimePaths;
const logger = pino({ level: "silent" });
const fingerprint = async () => "test-device";
/** --fallback-only over `dir`, the registry to listen on 0.0.0.0:9595, and `extra`. */
const fallbackArgs = (...extra: string[]) =>
  parseAgentArgs(["--fallback-only", "--data-dir", dir, "--registry-addr", "0.0.0.0:9595", ...extra], {});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-fallback-only-"));
  paths = {
    containerdConfig: join(dir, "config.toml"),
    containerdCertsDir: join(dir, "certs.d"),
    dockerDaemonJson: join(dir, "daemon.json"),
    registriesConf: join(dir, "registries.conf"),
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("satellite --fallback-only", () => {
  it("needs no token or Ground Control: configures --mirrors for where the registry will listen", async () => {
    const options = fallbackArgs("--mirrors", "containerd:http://10.0.0.5:5000");
    const report = await runFallbackOnly(options, {
      logger,
      fingerprint,
      runtimePaths: paths,
      detectRuntimes: () => Promise.reject(new Error("not asked")),
    });
    expect(report?.activity).toBe("cri_fallback_configured: containerd(ok)");
    expect(parse(await readFile(join(paths.containerdCertsDir, "10.0.0.5:5000", "hosts.toml"), "utf8"))).toEqual({
      server: "http://10.0.0.5:5000",
      host: { "http://127.0.0.1:9595": { capabilities: ["pull", "resolve"] } },
    });
  });

  it("uses the saved config's registry_fallback (detecting runtimes when it names none) over --mirrors", async () => {
    const saved = defaultConfig();
    saved.app_config.registry_fallback = { enabled: true, registries: ["quay.io"], runtimes: [] };
    await writeFile(join(dir, "config.json"), JSON.stringify(saved));
    const options = parseAgentArgs(["--fallback-only", "--data-dir", dir, "--mirrors", "podman:docker.io"], {});
    const report = await runFallbackOnly(options, {
      logger,
      fingerprint,
      runtimePaths: paths,
      detectRuntimes: async () => [{ runtime: "crio", evidence: "/run/crio/crio.sock" }],
    });
    expect(report?.activity).toBe("cri_fallback_configured: crio(ok)");
    expect(
      (parse(await readFile(paths.registriesConf, "utf8")) as { registry: { location: string }[] }).registry.map(
        (r) => r.location,
      ),
    ).toEqual(["quay.io"]);
  });

  it("points the runtimes at a bring-your-own registry with its scheme", async () => {
    const saved = defaultConfig();
    saved.app_config.bring_own_registry = true;
    saved.app_config.local_registry = { ...saved.app_config.local_registry, url: "https://registry.site:5443" };
    await writeFile(join(dir, "config.json"), JSON.stringify(saved));
    const options = parseAgentArgs(["--fallback-only", "--data-dir", dir, "--mirrors", "containerd:docker.io"], {});
    await runFallbackOnly(options, { logger, fingerprint, runtimePaths: paths });
    expect(
      Object.keys(
        (parse(await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8")) as { host: object })
          .host,
      ),
    ).toEqual(["https://registry.site:5443"]);
  });

  it("with nothing saved and no --mirrors: the detected runtimes, for docker.io", async () => {
    const options = parseAgentArgs(["--fallback-only", "--data-dir", dir], {});
    const report = await runFallbackOnly(options, {
      logger,
      fingerprint,
      runtimePaths: paths,
      detectRuntimes: async () => [{ runtime: "containerd", evidence: "/usr/bin/containerd" }],
    });
    expect(report?.activity).toBe("cri_fallback_configured: containerd(ok)");
    expect(parse(await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8"))).toMatchObject({
      server: "https://docker.io",
    });
  });

  it("with registry TLS and read credentials: https, the certificate as ca and a reader's header", async () => {
    await writeFile(join(dir, "readers"), "node:pull-secret\n");
    const options = fallbackArgs(
      "--mirrors",
      "containerd:docker.io",
      "--registry-tls-cert",
      "/etc/satellite/tls.crt",
      "--registry-tls-key",
      "/etc/satellite/tls.key",
      "--registry-read-credentials-file",
      join(dir, "readers"),
    );
    await runFallbackOnly(options, { logger, fingerprint, runtimePaths: paths });
    expect(parse(await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8"))).toEqual({
      server: "https://docker.io",
      host: {
        "https://127.0.0.1:9595": {
          capabilities: ["pull", "resolve"],
          ca: "/etc/satellite/tls.crt",
          header: { Authorization: [`Basic ${Buffer.from("node:pull-secret").toString("base64")}`] },
        },
      },
    });
  });
});
