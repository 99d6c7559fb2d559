// The agent's wiring with in-process stand-ins for what cannot run in a unit test: Harbor is the
// OCI client's fake registry (Docker token auth with the robot), Ground Control the fake Connect
// Ground Control. Store, registry server, replication engine, scheduler, config at rest and the
// Ground Control client are the real ones. Here: enrolment, restart on the saved enrolment, and
// serving through Ground Control's and Harbor's outages; Ground Control's heartbeat answers are in
// agent-heartbeat-answers.test.ts, mirrors and the config artifact in agent-config-artifact.test.ts.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { looksSealed } from "../fingerprint/sealed-box.js";
import { seedImage } from "../replication/testing/seed-upstream.js";
import { createFakeClock, type FakeClock } from "../scheduler/testing/fake-clock.js";
import { startAgent } from "./agent.js";
import { ROBOT, TOKEN, useAgentWorld } from "./testing/agent-test-kit.js";

const w = useAgentWorld({ name: "agent", logLevel: "debug" });
const { publishState, args, deps, syncs, lastSyncWith, waitFor } = w;
const ztrCalls = () => w.gc.calls.filter((c) => c.rpc === "TokenZtr").length;

describe("satellite agent", () => {
  it("enrols with a token, replicates, serves, heartbeats with every field, applies the config live, and stops cleanly", async () => {
    const nginx = seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const alpine = seedImage(w.registry, "library/alpine", "3", [Buffer.from("alpine layer")]);
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
    w.agent = await startAgent(args("--token", TOKEN), deps());
    expect(await w.agent.enrolled).toBe("ztr as edge");
    expect(w.agent.status().phase).toBe("steady");

    const beat = await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 2 && s.latestConfigDigest !== ""),
      "a heartbeat after the first pass",
    );
    const host = new URL(w.agent.registryUrl).host;
    expect(beat.name).toBe("edge");
    expect(beat.cachedImages.map((c) => c.reference)).toEqual([
      `${host}/library/alpine:3@${alpine.digest}`,
      `${host}/library/nginx:1@${nginx.digest}`,
    ]);
    expect(beat.cachedImages[1].sizeBytes).toBe(
      BigInt(nginx.manifest.length + w.registry.blob(nginx.config)!.length + "nginx layer".length),
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
    expect(w.gc.calls.filter((c) => c.rpc === "Sync").every((c) => c.authorization === robotAuth)).toBe(true);

    // Served by the local registry with the upstream digest.
    const res = await fetch(`${w.agent.registryUrl}/v2/library/nginx/manifests/1`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(nginx.digest);

    // The config artifact applied live and saved, sealed.
    expect(w.logger.level).toBe("debug");
    const status = w.agent.status();
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
    const file = await readFile(join(w.dir, "config.json"), "utf8");
    expect(looksSealed(JSON.parse(file))).toBe(true);
    expect((await stat(join(w.dir, "config.json"))).mode & 0o777).toBe(0o600);

    const url = w.agent.registryUrl;
    await w.agent.stop();
    w.agent = undefined;
    await expect(fetch(`${url}/v2/`)).rejects.toThrow();
    expect(w.captured.text()).toContain("enrolled with Ground Control");
    expect(w.captured.text()).not.toContain(TOKEN);
    expect(w.captured.text()).not.toContain(ROBOT.password);
  });

  it("restarts on the saved enrolment without a token; another device's fingerprint discards it and needs ZTR again", async () => {
    seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const { satelliteDigest } = publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    w.agent = await startAgent(args("--token", TOKEN), deps());
    await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 1),
      "first heartbeat with the image",
    );
    await w.agent.stop();

    w.agent = await startAgent(args(), deps());
    expect(await w.agent.enrolled).toBe("saved");
    const before = syncs().length;
    await waitFor(() => syncs().length > before, "a heartbeat from the restarted agent");
    // Its first heartbeat already knows the applied state (state.json), pass or no pass.
    expect(syncs()[before]).toMatchObject({ name: "edge", latestStateDigest: satelliteDigest, imageCount: 1 });
    expect(ztrCalls()).toBe(1);
    await w.agent.stop();
    w.agent = undefined;

    const moved = await startAgent(args(), deps({ fingerprint: async () => "device-b" })).catch((e: unknown) => e);
    expect(moved).toBeInstanceOf(UsageError);
    expect((moved as Error).message).toMatch(/saved config was discarded .*start with --token/);
    w.agent = await startAgent(args("--token", TOKEN), deps({ fingerprint: async () => "device-b" }));
    expect(await w.agent.enrolled).toBe("ztr as edge");
    expect(ztrCalls()).toBe(2);
  });

  it("serves while Ground Control is unreachable, retries enrolment with backoff, then replicates", async () => {
    const clock: FakeClock = createFakeClock(Date.now());
    const nginx = seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    w.gc.failNext(Code.Unavailable, 2);
    w.agent = await startAgent(args("--token", TOKEN), deps({ clock, random: () => 0.5 }));
    await waitFor(
      () => ztrCalls() === 1 && w.agent!.status().jobs.registration.consecutiveFailures === 1,
      "first enrolment attempt failed",
    );
    expect((await fetch(`${w.agent.registryUrl}/v2/`)).status).toBe(200);
    expect(w.agent.status()).toMatchObject({ enrolled: false, phase: "enrolling" });

    // Backoff from the 30 s registration interval: 15 s, then 30 s (full jitter at 0.5).
    await clock.advance(14_500);
    expect(ztrCalls()).toBe(1);
    await clock.advance(500);
    await waitFor(() => w.agent!.status().jobs.registration.consecutiveFailures === 2, "second attempt failed");
    await clock.advance(30_000);
    expect(await w.agent.enrolled).toBe("ztr as edge");
    await waitFor(
      async () =>
        (await fetch(`${w.agent!.registryUrl}/v2/library/nginx/manifests/1`, { method: "HEAD" })).headers.get(
          "docker-content-digest",
        ) === nginx.digest,
      "image replicated after enrolment",
    );
    expect(w.captured.text()).toMatch(/"job":"registration".*Unavailable/);
  });

  it("keeps serving while Harbor fails, reports it in the heartbeat, and recovers on the next pass", async () => {
    const clock = createFakeClock(Date.now());
    const nginx = seedImage(w.registry, "library/nginx", "1", [Buffer.from("nginx layer")]);
    const stateUrl = `${w.registry.url}/satellite/satellite-state/edge/state:latest`;
    publishState({ web: [{ repository: "library/nginx", tag: ["1"] }] });
    w.agent = await startAgent(args("--token", TOKEN), deps({ clock, random: () => 0.5 }));
    await waitFor(
      lastSyncWith((s) => s.cachedImages.length === 1 && s.errors.length === 0 && s.latestStateDigest !== ""),
      "a clean first heartbeat",
    );

    w.registry.addFault({ path: /satellite-state/, status: 503 });
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
    const head = await fetch(`${w.agent.registryUrl}/v2/library/nginx/manifests/1`, { method: "HEAD" });
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
});
