// The agent's wiring with in-process stand-ins for what cannot run in a unit test: Harbor is the
// OCI client's fake registry (Docker token auth with the robot), Ground Control the fake Connect
// Ground Control. Store, registry server, replication engine, scheduler, config at rest and the
// Ground Control client are the real ones.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import type { Logger } from "@harbor-satellite/telemetry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { looksSealed } from "../fingerprint/sealed-box.js";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { createFakeClock, type FakeClock } from "../scheduler/testing/fake-clock.js";
import { stateDocuments } from "@harbor-satellite/testkit";
import { startAgent, type AgentDeps } from "./agent.js";
import type { RunningAgent } from "./agent-state.js";
import { parseAgentArgs } from "./agent-options.js";
import { captureLogs, publishDocument, waitUntil, type CapturedLogs } from "./testing/agent-test-kit.js";
import { startFakeGroundControl, type FakeGroundControl } from "./testing/fake-ground-control.js";

const ROBOT = { username: "robot$edge", password: "robot-pass-93x" };
const TOKEN = "feedfacefeedfacefeedfacefeedface";
const SCRYPT = { N: 1024, r: 8, p: 1 };

let registry: FakeRegistry;
let gc: FakeGroundControl;
let dir: string;
let agent: RunningAgent | undefined;
let captured: CapturedLogs;
let logger: Logger;

beforeEach(async () => {
  registry = await startFakeRegistry({ mode: "bearer", ...ROBOT });
  gc = await startFakeGroundControl({
    enrolment: {
      satellite: "edge",
      stateUrl: `${registry.url}/satellite/satellite-state/edge/state:latest`,
      harborUrl: registry.url,
      ...ROBOT,
    },
    validToken: TOKEN,
  });
  dir = await mkdtemp(join(tmpdir(), "agent-"));
  captured = captureLogs("debug");
  logger = captured.logger;
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await gc.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

const publish = (repository: string, json: string) => publishDocument(registry, repository, json);

/** Publishes like Ground Control: tag URLs (`…/state:latest`) in the satellite state. */
function publishState(groups: Record<string, { repository: string; tag: string[] }[]>, config?: object) {
  const urls = Object.entries(groups).map(([name, artifacts]) => {
    publish(`satellite/group-state/${name}/state`, stateDocuments.group(name, registry.url, artifacts));
    return `${registry.url}/satellite/group-state/${name}/state:latest`;
  });
  const configDigest = config ? publish("satellite/config-state/edge/state", JSON.stringify(config)) : undefined;
  const satelliteDigest = publish(
    "satellite/satellite-state/edge/state",
    stateDocuments.satellite(urls, config ? `${registry.url}/satellite/config-state/edge/state:latest` : undefined),
  );
  return { satelliteDigest, configDigest };
}

const args = (...extra: string[]) =>
  parseAgentArgs(["--ground-control-url", gc.url, "--data-dir", dir, "--registry-addr", "127.0.0.1:0", ...extra], {});
const deps = (extra: Partial<AgentDeps> = {}): AgentDeps => ({
  logger,
  fingerprint: async () => "device-a",
  scrypt: SCRYPT,
  workerThreads: 1,
  upstreamRetry: { attempts: 1 },
  metrics: { collect: async () => ({ cpuPercent: 3.5, memoryUsedBytes: 1000n, storageUsedBytes: 2000n }) },
  ...extra,
});
const syncs = () => gc.calls.filter((c) => c.rpc === "Sync").map((c) => c.sync!);
const ztrCalls = () => gc.calls.filter((c) => c.rpc === "TokenZtr").length;

const waitFor = <T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs?: number,
) => waitUntil(check, what, { timeoutMs, logs: captured.text });
const lastSyncWith = (predicate: (s: ReturnType<typeof syncs>[number]) => boolean) => () => syncs().findLast(predicate);

describe("satellite agent", () => {
  it("enrols with a token, replicates, serves, heartbeats with every field, applies the config live, and stops cleanly", async () => {
    const nginx = seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const alpine = seedImage(registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
    const { satelliteDigest, configDigest } = publishState(
      {
        web: [
          { repository: "library/nginx", tag: ["1"] },
          { repository: "library/alpine", tag: ["3"] },
        ],
      },
      {
        app_config: { heartbeat_interval: "@every 45s", state_replication_interval: "@every 20s", log_level: "debug" },
      },
    );
    agent = await startAgent(args("--token", TOKEN), deps());
    expect(await agent.enrolled).toBe("ztr as edge");
    expect(agent.status().phase).toBe("steady");

    const beat = await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 2 && s.latestConfigDigest !== ""),
      "a heartbeat after the first pass",
    );
    const host = new URL(agent.registryUrl).host;
    expect(beat.name).toBe("edge");
    expect(beat.cachedImages.map((c) => c.reference)).toEqual([
      `${host}/library/alpine:3@${alpine.digest}`,
      `${host}/library/nginx:1@${nginx.digest}`,
    ]);
    expect(beat.cachedImages[1].sizeBytes).toBe(
      BigInt(nginx.manifest.length + registry.blob(nginx.config)!.length + "nginx layer".length),
    );
    expect(beat).toMatchObject({
      imageCount: 2,
      latestStateDigest: satelliteDigest,
      latestConfigDigest: configDigest,
      stateReportInterval: "@every 45s",
      cpuPercent: 3.5,
      memoryUsedBytes: 1000n,
      storageUsedBytes: 2000n,
      errors: [],
    });
    expect(beat.activity).toMatch(/^last pass applied: 2 copied, 0 removed, 0 failed$/);
    expect(beat.lastSyncDurationMs).toBeGreaterThanOrEqual(0n);
    expect(beat.requestCreateTime?.seconds).toBeGreaterThan(0n);
    const robotAuth = `Basic ${Buffer.from(`${ROBOT.username}:${ROBOT.password}`).toString("base64")}`;
    expect(gc.calls.filter((c) => c.rpc === "Sync").every((c) => c.authorization === robotAuth)).toBe(true);

    // Served by the local registry with the upstream digest.
    const res = await fetch(`${agent.registryUrl}/v2/library/nginx/manifests/1`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(nginx.digest);

    // The config artifact applied live and saved, sealed.
    expect(logger.level).toBe("debug");
    const status = agent.status();
    expect(status.config.app_config).toMatchObject({
      heartbeat_interval: "@every 45s",
      state_replication_interval: "@every 20s",
    });
    expect(status.config.state_config.auth.password).toBe("[redacted]");
    // The next pass is armed on the new 20 s interval (±10 % jitter), counted from the end of the last.
    const replication = status.jobs["state-replication"];
    const delay = replication.nextRunAt! - (replication.lastStartedAt! + replication.lastDurationMs!);
    expect(delay).toBeGreaterThanOrEqual(18_000);
    expect(delay).toBeLessThanOrEqual(23_000); // + the moment between the end of the run and arming
    expect(status.jobs.registration.finished).toBe(true);
    const file = await readFile(join(dir, "config.json"), "utf8");
    expect(looksSealed(JSON.parse(file))).toBe(true);
    expect((await stat(join(dir, "config.json"))).mode & 0o777).toBe(0o600);

    const url = agent.registryUrl;
    await agent.stop();
    agent = undefined;
    await expect(fetch(`${url}/v2/`)).rejects.toThrow();
    expect(captured.text()).toContain("enrolled with Ground Control");
    expect(captured.text()).not.toContain(TOKEN);
    expect(captured.text()).not.toContain(ROBOT.password);
  });

  it("restarts on the saved enrolment without a token; another device's fingerprint discards it and needs ZTR again", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const { satelliteDigest } = publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    agent = await startAgent(args("--token", TOKEN), deps());
    await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 1),
      "first heartbeat with the image",
    );
    await agent.stop();

    agent = await startAgent(args(), deps());
    expect(await agent.enrolled).toBe("saved");
    const before = syncs().length;
    await waitFor(() => syncs().length > before, "a heartbeat from the restarted agent");
    // Its first heartbeat already knows the applied state (state.json), pass or no pass.
    expect(syncs()[before]).toMatchObject({ name: "edge", latestStateDigest: satelliteDigest, imageCount: 1 });
    expect(ztrCalls()).toBe(1);
    await agent.stop();
    agent = undefined;

    const moved = await startAgent(args(), deps({ fingerprint: async () => "device-b" })).catch((e: unknown) => e);
    expect(moved).toBeInstanceOf(UsageError);
    expect((moved as Error).message).toMatch(/saved config was discarded .*start with --token/);
    agent = await startAgent(args("--token", TOKEN), deps({ fingerprint: async () => "device-b" }));
    expect(await agent.enrolled).toBe("ztr as edge");
    expect(ztrCalls()).toBe(2);
  });

  it("serves while Ground Control is unreachable, retries enrolment with backoff, then replicates", async () => {
    const clock: FakeClock = createFakeClock(Date.now());
    const nginx = seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    gc.failNext(Code.Unavailable, 2);
    agent = await startAgent(args("--token", TOKEN), deps({ clock, random: () => 0.5 }));
    await waitFor(
      () => ztrCalls() === 1 && agent!.status().jobs.registration.consecutiveFailures === 1,
      "first enrolment attempt failed",
    );
    expect((await fetch(`${agent.registryUrl}/v2/`)).status).toBe(200);
    expect(agent.status()).toMatchObject({ enrolled: false, phase: "enrolling" });

    // Backoff from the 30 s registration interval: 15 s, then 30 s (full jitter at 0.5).
    await clock.advance(14_500);
    expect(ztrCalls()).toBe(1);
    await clock.advance(500);
    await waitFor(() => agent!.status().jobs.registration.consecutiveFailures === 2, "second attempt failed");
    await clock.advance(30_000);
    expect(await agent.enrolled).toBe("ztr as edge");
    await waitFor(
      async () =>
        (await fetch(`${agent!.registryUrl}/v2/library/nginx/manifests/1`, { method: "HEAD" })).headers.get(
          "docker-content-digest",
        ) === nginx.digest,
      "image replicated after enrolment",
    );
    expect(captured.text()).toMatch(/"job":"registration".*Unavailable/);
  });

  it("keeps serving while Harbor fails, reports it in the heartbeat, and recovers on the next pass", async () => {
    const clock = createFakeClock(Date.now());
    const nginx = seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const stateUrl = `${registry.url}/satellite/satellite-state/edge/state:latest`;
    publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    agent = await startAgent(args("--token", TOKEN), deps({ clock, random: () => 0.5 }));
    await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 1 && s.errors.length === 0 && s.latestStateDigest !== ""),
      "a clean first heartbeat",
    );

    registry.addFault({ path: /satellite-state/, status: 503 });
    await clock.advance(10_000); // the default 10 s replication interval
    const failing = await waitFor(
      lastSyncWith((s) => s.errors.length > 0),
      "a heartbeat reporting the failed pass",
    );
    expect(failing.errors).toEqual([
      {
        $typeName: "harbor.satellite.heartbeat.v1.ImageError",
        reference: stateUrl,
        message: expect.stringMatching(/503/),
      },
    ]);
    expect(failing.activity).toMatch(/^last pass failed: /);
    expect(failing.cachedImages).toHaveLength(1);
    const head = await fetch(`${agent.registryUrl}/v2/library/nginx/manifests/1`, { method: "HEAD" });
    expect(head.headers.get("docker-content-digest")).toBe(nginx.digest);

    await clock.advance(5_000); // backoff after one failure: 10 s × 0.5 (full jitter at 0.5)
    const recovered = await waitFor(
      () =>
        syncs().length > 0 &&
        syncs().at(-1)!.errors.length === 0 &&
        syncs().indexOf(failing) < syncs().length - 1 &&
        syncs().at(-1),
      "a clean heartbeat after recovery",
    );
    expect(recovered.cachedImages).toHaveLength(1);
  });

  it("follows Ground Control's heartbeat answers: a moved state URL, no state request while the digest holds, a pass at once when it changes", async () => {
    const clock = createFakeClock(Date.now());
    seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const config = { app_config: { heartbeat_interval: "@every 10s", state_replication_interval: "@every 60s" } };
    const repository = "satellite/satellite-state/edge/state";
    const movedUrl = `${registry.url}/${repository}:moved`;
    const publishMoved = (groups: Parameters<typeof publishState>[0]) => {
      const published = publishState(groups, config);
      const latest = registry.manifest(repository, "latest")!;
      registry.putManifest(repository, "moved", latest.bytes, latest.mediaType);
      return published;
    };
    let answer: { satelliteStateUrl?: string; satelliteStateDigest?: string } = {};
    await gc.close();
    gc = await startFakeGroundControl({
      enrolment: {
        satellite: "edge",
        stateUrl: `${registry.url}/${repository}:latest`,
        harborUrl: registry.url,
        ...ROBOT,
      },
      validToken: TOKEN,
      syncAnswer: () => answer,
    });
    const first = publishMoved({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    agent = await startAgent(args("--token", TOKEN), deps({ clock, random: () => 0.5 }));
    await waitFor(
      lastSyncWith((s) => s.latestStateDigest === first.satelliteDigest && s.cachedImages.length === 1),
      "a heartbeat after the first pass",
    );
    const stateReads = (tag: string) =>
      registry.requests.filter((r) => r.path === `/v2/${repository}/manifests/${tag}`).length;

    // Ground Control names a new URL: the agent moves there, saves it, and reads the state there.
    answer = { satelliteStateUrl: movedUrl, satelliteStateDigest: first.satelliteDigest };
    await clock.advance(10_000);
    await waitFor(
      () => stateReads("moved") > 0 && agent!.status().config.state_config.state === movedUrl,
      "the state read from the new URL",
    );
    await waitFor(() => agent!.status().jobs["state-replication"].running === false, "that pass finished");
    const readsAfterMove = stateReads("moved");
    expect(captured.text()).toContain("Ground Control serves this satellite's state at a new URL; following it");

    // Its answers vouch for the applied state: the 60 s pass makes no state request.
    const passes = agent.status().passes;
    await clock.advance(10_000);
    await clock.advance(50_000);
    await waitFor(() => agent!.status().passes > passes, "the next scheduled pass");
    expect(stateReads("moved")).toBe(readsAfterMove);

    // A new state: the next heartbeat's answer starts a pass at once, long before the 60 s tick.
    // (Runs end on real I/O, so the fake clock moves a second at a time while we wait.)
    seedImage(registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
    // (A new group name, so the satellite state's own bytes change, as Ground Control's digest pinning makes them.)
    const second = publishMoved({
      "web-v2": [
        { repository: "library/nginx", tag: ["1"] },
        { repository: "library/alpine", tag: ["3"] },
      ],
    });
    expect(second.satelliteDigest).not.toBe(first.satelliteDigest);
    answer = { satelliteStateUrl: movedUrl, satelliteStateDigest: second.satelliteDigest };
    const scheduledPassAt = agent.status().jobs["state-replication"].nextRunAt!;
    const applied = lastSyncWith((s) => s.latestStateDigest === second.satelliteDigest && s.cachedImages.length === 2);
    await waitFor(async () => (await clock.advance(1_000), applied()), "the new state applied after a heartbeat");
    expect(clock.now()).toBeLessThan(scheduledPassAt);
    expect(stateReads("moved")).toBeGreaterThan(readsAfterMove);
  });

  it("points the runtimes named by --mirrors at the registry and reports it in the first heartbeat", async () => {
    publishState({});
    const paths = {
      containerdConfig: join(dir, "etc", "containerd", "config.toml"),
      containerdCertsDir: join(dir, "etc", "containerd", "certs.d"),
    };
    agent = await startAgent(
      args("--token", TOKEN, "--mirrors", "containerd:docker.io,quay.io"),
      deps({ runtimePaths: paths }),
    );
    const first = await waitFor(() => syncs()[0], "first heartbeat");
    expect(first.activity).toMatch(/^cri_fallback_configured: containerd\(ok/);
    const hosts = await readFile(join(paths.containerdCertsDir, "docker.io", "hosts.toml"), "utf8");
    expect(hosts).toContain(`[host."http://${new URL(agent.registryUrl).host}"]`);
    await waitFor(() => syncs().length >= 2, "a second heartbeat");
    expect(syncs().at(-1)!.activity).not.toMatch(/cri_fallback_configured/);
  });

  it("applies Ground Control's registry_fallback when a config artifact enables it: detected runtimes, reported in a heartbeat", async () => {
    publishState({}, { app_config: { registry_fallback: { enabled: true, registries: ["docker.io"] } } });
    const paths = {
      containerdConfig: join(dir, "etc", "containerd", "config.toml"),
      containerdCertsDir: join(dir, "etc", "containerd", "certs.d"),
    };
    agent = await startAgent(
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
      `[host."http://${new URL(agent.registryUrl).host}"]`,
    );
  });

  it("refuses an invalid config artifact whole: keeps running on its config, replicates, logs once, reports it in the heartbeat", async () => {
    seedImage(registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishState(
      { web: [{ repository: "library/nginx", tag: ["1"] }] },
      { app_config: { log_level: "warning", heartbeat_interval: "@every 45s" } },
    );
    agent = await startAgent(args("--token", TOKEN), deps());
    const beat = await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 1 && s.errors.length > 0),
      "a heartbeat reporting the refused config",
    );
    expect(beat.errors).toMatchObject([
      {
        reference: `${registry.url}/satellite/config-state/edge/state:latest`,
        message: expect.stringMatching(
          /^config-state artifact is invalid: app_config\.log_level: expected one of .*got "warning"$/,
        ) as string,
      },
    ]);
    expect(beat).toMatchObject({ latestConfigDigest: "", stateReportInterval: "@every 00h00m30s" });
    expect(beat.activity).toMatch(/^last pass applied: 1 copied, 0 removed, 1 failed$/);
    expect(agent.status().config.app_config).toMatchObject({
      log_level: "info",
      heartbeat_interval: "@every 00h00m30s",
    });
    expect(captured.text().match(/config-state artifact is invalid/g)).toHaveLength(1);
  });
});
