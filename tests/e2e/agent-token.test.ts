// Issue 4's end-to-end path in token mode, with every part real: PostgreSQL, docker-registry
// behind the Harbor emulator, a `ground-control` process and a `satellite` process. The admin
// creates a satellite, a group of two images and a fast config, issues a ZTR token; the satellite
// enrols with it, reads its satellite state from Ground Control and the rest from Harbor,
// replicates the images (upstream digests), serves them to skopeo, keeps serving
// while the upstream is down (and says so in its heartbeat), converges after a group change,
// and Ground Control shows it online with the right cached images.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort, type SyntheticImage } from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { createEdgeSite, startSatelliteProcess, waitForConvergedOnline, type AdminClients } from "./agent-helpers.js";
import { HARBOR, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "e2e-agent-admin-password";

describe("satellite agent, token mode, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let gcUrl: string;
  let emuUrl: string;
  let admin: AdminClients;
  let work: string;
  let satPort: number;
  let local: RegistryClient;
  let token: string;
  let images: Record<string, SyntheticImage>;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "agent-e2e",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20", "apps/redis:7"],
      adminPassword: ADMIN_PASSWORD,
      proxy: true,
    });
    ({ gcUrl, admin, work, images } = stack);
    emuUrl = stack.emu.url;
    satPort = await freePort();
    local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });
  });

  afterAll(async () => {
    local?.close();
    const satOutput = sat?.output() ?? "";
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(satOutput);
    await sat?.stop();
    await stack?.stop();
    if (token) expect(satOutput).not.toContain(token);
  });

  const localDigest = async (repo: string, tag: string) => (await local.headManifest(repo, tag))?.digest;
  const status = async () => (await admin.heartbeat.getSatelliteStatus({ satellite: "edge-1" })).status!;
  const has = async (registryUrl: string, credentials: { username: string; password: string }, repository: string) => {
    const client = createRegistryClient({ url: registryUrl, credentials, retry: { attempts: 1 } });
    try {
      if (!(await client.headManifest(repository, "latest"))) throw new Error(`${repository} not published yet`);
    } finally {
      client.close();
    }
  };

  it("enrols with a token, replicates the group with upstream digests and serves it to skopeo", async () => {
    await createEdgeSite(admin, {
      satellite: "edge-1",
      group: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
      ],
    });
    // The satellite state on Ground Control itself, the group state in Harbor.
    await eventually(
      () =>
        Promise.all([
          has(gcUrl, { username: "admin", password: ADMIN_PASSWORD }, "satellite/satellite-state/edge-1/state"),
          has(emuUrl, HARBOR, "satellite/group-state/web/state"),
        ]),
      60_000,
      "state artifacts published",
    );
    expect((await admin.fleet.getSatellite({ satellite: "edge-1" })).satellite?.stateUrl).toBe(
      `${gcUrl}/satellite/satellite-state/edge-1/state:latest`,
    );
    token = (await admin.identity.issueZtrToken({ satellite: "edge-1" })).token;

    const dataDir = join(work, "satellite");
    const started = performance.now();
    sat = startSatelliteProcess({
      gcUrl,
      dataDir,
      registryPort: satPort,
      args: ["--token", token],
      env: { LOG_LEVEL: "warn" },
    });
    const watch = sat;
    let enrolledAt: number | undefined;
    watch.proc.stdout?.on("data", (chunk: Buffer) => {
      if (enrolledAt === undefined && chunk.toString().includes("satellite enrolled (ztr as edge-1)"))
        enrolledAt = performance.now();
    });
    const served = await eventually(
      async () => {
        if (watch.proc.exitCode !== null)
          throw new GiveUp(`satellite exited with ${watch.proc.exitCode}: ${watch.output()}`);
        const [nginx, alpine] = await Promise.all([
          localDigest("apps/nginx", "1.27"),
          localDigest("apps/alpine", "3.20"),
        ]);
        if (!nginx || !alpine) throw new Error("images not served yet");
        return { nginx, alpine, at: performance.now() };
      },
      90_000,
      "both images served by the satellite",
    );
    expect(enrolledAt, "the satellite prints when it has enrolled").toBeDefined();
    process.stdout.write(
      `agent-token e2e: process start → enrolled ${Math.round(enrolledAt! - started)} ms; enrolled → both images served ${Math.round(served.at - enrolledAt!)} ms (polled every 200 ms)\n`,
    );
    expect(served.nginx).toBe(images["apps/nginx"].manifestDigest);
    expect(served.alpine).toBe(images["apps/alpine"].manifestDigest);

    // skopeo pulls through the satellite's registry; the manifest bytes are the upstream's.
    const out = join(work, "pulled-nginx");
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://127.0.0.1:${satPort}/apps/nginx:1.27`,
      `dir:${out}`,
    ]);
    const manifest = await readFile(join(out, "manifest.json"));
    expect(`sha256:${createHash("sha256").update(manifest).digest("hex")}`).toBe(images["apps/nginx"].manifestDigest);
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://127.0.0.1:${satPort}/apps/alpine:3.20`,
      `dir:${join(work, "pulled-alpine")}`,
    ]);

    // config.json is sealed to the device (no robot secret in the clear) and private.
    const configFile = await readFile(join(dataDir, "config.json"), "utf8");
    expect(configFile).not.toContain("robot$");
    expect((await stat(join(dataDir, "config.json"))).mode & 0o777).toBe(0o600);

    // Heartbeats arrive with every field filled.
    const latest = await eventually(
      async () => {
        const s = await status();
        const refs = s.latest?.cachedImages.map((c) => c.reference) ?? [];
        if (s.health !== Health.ONLINE || refs.length < 2 || !s.latest?.latestConfigDigest)
          throw new Error(`not yet: ${JSON.stringify(refs)}`);
        return s.latest;
      },
      60_000,
      "a heartbeat with both images and the applied config",
    );
    expect(latest.cachedImages.map((c) => c.reference).sort()).toEqual([
      `127.0.0.1:${satPort}/apps/alpine:3.20@${served.alpine}`,
      `127.0.0.1:${satPort}/apps/nginx:1.27@${served.nginx}`,
    ]);
    expect(latest.cachedImages.every((c) => c.sizeBytes > 72n << 10n)).toBe(true);
    expect(latest.latestStateDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(latest.latestConfigDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(latest.lastSyncDurationMs).toBeGreaterThanOrEqual(0n);
    expect(latest.memoryUsedBytes).toBeGreaterThan(0n);
    expect(latest.storageUsedBytes).toBeGreaterThan(0n);
    expect(latest.stateReportInterval).toMatch(/2s$/);
    expect(latest.activity).toMatch(/pass/);
    expect(latest.requestCreateTime).toBeDefined();
    expect(latest.imageCount).toBe(2);
    expect(latest.errors).toEqual([]);
  });

  it("keeps serving with the upstream stopped and reports the failure in its heartbeat", async () => {
    // A second group, published to Harbor while it is up, to hand the satellite during the outage.
    await admin.fleet.createGroup({ group: "cache", artifacts: [{ repository: "apps/redis", tags: ["7"] }] });
    await eventually(
      () => has(emuUrl, HARBOR, "satellite/group-state/cache/state"),
      60_000,
      "the cache group state published",
    );
    await stack.upstream!.stop();
    stack.upstream = undefined;
    expect(await localDigest("apps/nginx", "1.27")).toBe(images["apps/nginx"].manifestDigest);
    await run("skopeo", ["inspect", "--tls-verify=false", `docker://127.0.0.1:${satPort}/apps/alpine:3.20`]);
    // While its satellite state (on Ground Control, still up) is unchanged the satellite needs
    // nothing from Harbor, so there is nothing to fail. A new group makes it go to Harbor.
    await admin.fleet.assignGroup({ satellite: "edge-1", group: "cache" });
    const failing = await eventually(
      async () => {
        const s = await status();
        if (!s.latest?.errors.length) throw new Error("no error reported yet");
        return s;
      },
      90_000,
      "a heartbeat reporting the failed pass",
    );
    expect(failing.latest!.errors[0].message).not.toBe("");
    expect(failing.latest!.cachedImages).toHaveLength(2);
    expect(await localDigest("apps/alpine", "3.20")).toBe(images["apps/alpine"].manifestDigest);
  });

  it("converges after the upstream is back and the group changed (one image out, one in)", async () => {
    stack.upstream = await startDockerRegistry({ dir: stack.storage });
    stack.proxy!.retarget(stack.upstream.port);
    await admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/redis", tags: ["7"] },
      ],
    });
    await eventually(
      async () => {
        const [nginx, redis] = await Promise.all([localDigest("apps/nginx", "1.27"), localDigest("apps/redis", "7")]);
        if (nginx !== undefined || redis === undefined)
          throw new Error(`nginx ${nginx ?? "gone"}, redis ${redis ?? "missing"}`);
      },
      120_000,
      "nginx removed and redis replicated",
    );
    expect(await localDigest("apps/redis", "7")).toBe(images["apps/redis"].manifestDigest);
    expect(await localDigest("apps/alpine", "3.20")).toBe(images["apps/alpine"].manifestDigest);

    const online = await waitForConvergedOnline(admin, "edge-1", { count: 2, including: "apps/redis:7" });
    expect(online.latest!.cachedImages.map((c) => c.reference).sort()).toEqual([
      `127.0.0.1:${satPort}/apps/alpine:3.20@${images["apps/alpine"].manifestDigest}`,
      `127.0.0.1:${satPort}/apps/redis:7@${images["apps/redis"].manifestDigest}`,
    ]);

    // A graceful stop: exit 0, and a restart uses the saved enrolment (the token is spent).
    expect(await sat!.stop()).toBe(0);
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(sat!.output());
    sat = startSatelliteProcess({
      gcUrl,
      dataDir: join(work, "satellite"),
      registryPort: satPort,
      env: { LOG_LEVEL: "warn" },
    });
    const restarted = sat;
    await eventually(
      async () => {
        if (restarted.proc.exitCode !== null)
          throw new GiveUp(`satellite exited with ${restarted.proc.exitCode}: ${restarted.output()}`);
        if ((await localDigest("apps/redis", "7")) !== images["apps/redis"].manifestDigest)
          throw new Error("not serving yet");
      },
      60_000,
      "the restarted satellite serving from its store",
    );
  });
});
