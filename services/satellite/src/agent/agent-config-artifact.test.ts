// The agent and the site's container runtimes and config artifact (in-process stand-ins as in
// agent.test.ts): --mirrors points runtimes at the registry, a config artifact's registry_fallback
// configures the detected ones, and an invalid config artifact is refused whole.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { startAgent } from "./agent.js";
import { TOKEN, useAgentWorld } from "./testing/agent-test-kit.js";

const w = useAgentWorld({ name: "agent-config", logLevel: "debug" });
const { publishState, args, deps, syncs, lastSyncWith, waitFor } = w;

describe("satellite agent, runtimes and the config artifact", () => {
  it("points the runtimes named by --mirrors at the registry and reports it in the first heartbeat", async () => {
    publishState({});
    const paths = {
      containerdConfig: join(w.dir, "etc", "containerd", "config.toml"),
      containerdCertsDir: join(w.dir, "etc", "containerd", "certs.d"),
    };
    w.agent = await startAgent(
      args("--token", TOKEN, "--mirrors", "containerd:docker.io,quay.io"),
      deps({ runtimePaths: paths }),
    );
    const first = await waitFor(() => syncs()[0], "first heartbeat");
    expect(first.activity).toMatch(/^cri_fallback_configured: containerd\(ok/);
    const hosts = await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8");
    expect(hosts).toContain(`[host."http://${new URL(w.agent.registryUrl).host}"]`);
    await waitFor(() => syncs().length >= 2, "a second heartbeat");
    expect(syncs().at(-1)!.activity).not.toMatch(/cri_fallback_configured/);
  });

  it("applies Ground Control's registry_fallback when a config artifact enables it: detected runtimes, reported in a heartbeat", async () => {
    publishState({}, { app_config: { registry_fallback: { enabled: true, registries: ["docker.io"] } } });
    const paths = {
      containerdConfig: join(w.dir, "etc", "containerd", "config.toml"),
      containerdCertsDir: join(w.dir, "etc", "containerd", "certs.d"),
    };
    w.agent = await startAgent(
      args("--token", TOKEN),
      deps({
        runtimePaths: paths,
        detectRuntimes: async () => [{ runtime: "containerd", evidence: "/run/containerd/containerd.sock" }],
      }),
    );
    const beat = await waitFor(
      lastSyncWith((s) => /^cri_fallback_configured: containerd\(ok/.test(s.activity)),
      "a heartbeat reporting the runtimes configured",
    );
    expect(beat.activity).toMatch(/^cri_fallback_configured: containerd\(ok\)(;|$)/);
    expect(await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8")).toContain(
      `[host."http://${new URL(w.agent.registryUrl).host}"]`,
    );
  });

  it("refuses an invalid config artifact whole: keeps running on its config, replicates, logs once, reports it in the heartbeat", async () => {
    seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishState(
      { web: [{ repository: "library/nginx", tag: ["1"] }] },
      { app_config: { log_level: "warning", heartbeat_interval: "@every 45s" } },
    );
    w.agent = await startAgent(args("--token", TOKEN), deps());
    const beat = await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 1 && s.errors.length > 0),
      "a heartbeat reporting the refused config",
    );
    expect(beat.errors).toMatchObject([
      {
        reference: `${w.registry.url}/satellite/config-state/edge/state:latest`,
        message: expect.stringMatching(
          /^config-state artifact is invalid: app_config\.log_level: expected one of .*got "warning"$/,
        ) as string,
      },
    ]);
    expect(beat).toMatchObject({ latestConfigDigest: "", stateReportInterval: "@every 00h00m30s" });
    expect(beat.activity).toMatch(/^last pass applied: 1 copied, 0 removed, 1 failed$/);
    expect(w.agent.status().config.app_config).toMatchObject({
      log_level: "info",
      heartbeat_interval: "@every 00h00m30s",
    });
    expect(w.captured.text().match(/config-state artifact is invalid/g)).toHaveLength(1);
  });
});
