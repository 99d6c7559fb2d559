// Credential refresh (issue 12 item 3), end to end with every part real but Harbor (the emulator):
// PostgreSQL, docker-registry, a `ground-control` process and a token-mode `satellite` process.
//   1. Ground Control rotates the robot secret (ROBOT_SECRET_MAX_AGE_SECONDS) while a replication
//      pass is held mid-blob by a gate proxy; the pass completes (or is retried) with the new
//      secret, the new secret is in config.json sealed, the database holds only its hash, and
//      Harbor refuses the old one.
//   2. With no rotation due, the secret is replaced in Harbor behind Ground Control's back: the
//      satellite reports "needs re-enrolment" in its heartbeat, and the drift view and groundctl
//      show it.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DriftState } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createRegistryClient } from "@harbor-satellite/oci";
import { verifySecret } from "@harbor-satellite/rpc";
import { freePort } from "@harbor-satellite/testkit";
import { generateSecret } from "@harbor-satellite/testkit/harbor-emulator";
import { loadConfigFile } from "../../services/satellite/src/config/config-file.js";
import { deviceFingerprint } from "../../services/satellite/src/fingerprint/device-fingerprint.js";
import { createEdgeSite, servedDigest, startSatelliteProcess } from "./agent-helpers.js";
import { startFleetStack, type FleetStack } from "./fleet-stack.js";
import { blobGets, startGateProxy, type GateProxy } from "@harbor-satellite/testkit/gate-proxy";
import { eventually, GiveUp, REPO_ROOT, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "e2e-credential-refresh-admin";
const SATELLITE = "edge-1";

interface Site {
  stack: FleetStack;
  sql: postgres.Sql;
  sat?: RunningProcess;
  satPort: number;
  dataDir: string;
}

async function startSite(name: string, env: Record<string, string>): Promise<Site> {
  const stack = await startFleetStack({
    name,
    project: "apps",
    images: ["apps/nginx:1.27", "apps/alpine:3.20"],
    // A layer large enough to be worth holding; its size does not matter for timing (the gate does).
    layerSizes: [512 << 10, 8 << 10],
    adminPassword: ADMIN_PASSWORD,
    proxy: true,
    groundControlEnv: env,
  });
  const sql = postgres(stack.databaseUrl, { max: 1 });
  return { stack, sql, satPort: await freePort(), dataDir: join(stack.work, "satellite") };
}

async function enrolSatellite(site: Site, artifacts: { repository: string; tags: string[] }[]): Promise<void> {
  const { admin } = site.stack;
  await createEdgeSite(admin, { satellite: SATELLITE, group: "web", artifacts });
  const { token } = await admin.identity.issueZtrToken({ satellite: SATELLITE });
  site.sat = startSatelliteProcess({
    gcUrl: site.stack.gcUrl,
    dataDir: site.dataDir,
    registryPort: site.satPort,
    args: ["--token", token],
  });
}

const robotRow = async (sql: postgres.Sql) => {
  const [row] = await sql`select * from robot_accounts`;
  return row as Record<string, unknown> & {
    secret_hash: string;
    previous_secret_hash: string | null;
    pending_rotation: string | null;
  };
};

const harborSecret = (site: Site) => {
  const robot = [...site.stack.emu.state.robots.values()].find((r) => r.name === SATELLITE);
  if (!robot) throw new Error("no robot in Harbor yet");
  return robot;
};

/** Harbor's answer to the robot reading its group state with these credentials: "ok" or the status. */
async function harborAccepts(site: Site, password: string): Promise<string> {
  const client = createRegistryClient({
    url: site.stack.emu.url,
    credentials: { username: `robot$${SATELLITE}`, password },
    retry: { attempts: 1 },
  });
  try {
    await client.headManifest("satellite/group-state/web/state", "latest");
    return "ok";
  } catch (error) {
    return String((error as { status?: number }).status ?? error);
  } finally {
    client.close();
  }
}

const served = (site: Site, repository: string, tag: string) => servedDigest(site.satPort, repository, tag);

const alive = (site: Site) => {
  if (site.sat?.proc.exitCode !== null) throw new GiveUp(`satellite exited: ${site.sat?.output()}`);
};

async function stopSite(site: Site | undefined): Promise<void> {
  await site?.sat?.stop();
  await site?.sql.end();
  await site?.stack.stop();
}

describe("credential refresh: rotation while a pass runs", () => {
  let site: Site;
  let gate: GateProxy;

  beforeAll(async () => {
    site = await startSite("cred-rotate", { ROBOT_SECRET_MAX_AGE_SECONDS: "6", LOG_LEVEL: "info" });
    const nginx = site.stack.images["apps/nginx"];
    gate = await startGateProxy(site.stack.upstream!.port, { holds: blobGets([nginx.layers[0].digest]) });
    site.stack.proxy!.retarget(gate.port);
  });
  afterAll(async () => {
    const output = site?.sat?.output() ?? "";
    const gcOutput = site?.stack.gc.output() ?? "";
    await gate?.stop();
    await stopSite(site);
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(`${output}\n--- ground-control ---\n${gcOutput}`);
  });

  it("rotates during a held pass, the pass completes with the new secret, sealed on disk, hash only in the database, old secret refused", async () => {
    // First alpine alone, so the satellite runs on the fast config (heartbeats every 2 s)…
    await enrolSatellite(site, [{ repository: "apps/alpine", tags: ["3.20"] }]);
    await eventually(async () => (alive(site), served(site, "apps/alpine", "3.20")), 90_000, "alpine served");
    // …then nginx, whose large layer the gate holds: that pass stays running until released.
    await site.stack.admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/nginx", tags: ["1.27"] },
      ],
    });
    let held = false;
    void gate.held.then(() => (held = true));
    await eventually(
      async () => {
        alive(site);
        if (!held) throw new Error("nginx's layer not requested yet");
      },
      120_000,
      "the pass held at nginx's layer",
    );
    const before = harborSecret(site).secret;

    // Ground Control rotates (the satellite's heartbeats go on) and the satellite confirms.
    const rotated = await eventually(
      async () => {
        alive(site);
        const row = await robotRow(site.sql);
        const now = harborSecret(site).secret;
        if (now === before || row.pending_rotation !== null) throw new Error("no confirmed rotation yet");
        if (!(await verifySecret(now, row.secret_hash))) throw new Error("database not updated yet");
        return now;
      },
      60_000,
      "a rotation confirmed while the pass is held",
    );
    expect(await harborAccepts(site, before)).toBe("401");
    gate.release();

    const nginx = await eventually(
      async () => (alive(site), served(site, "apps/nginx", "1.27")),
      90_000,
      "nginx served after the rotation",
    );
    expect(nginx).toBe(site.stack.images["apps/nginx"].manifestDigest);
    expect(await served(site, "apps/alpine", "3.20")).toBe(site.stack.images["apps/alpine"].manifestDigest);

    // Stop right after a confirmation: the next rotation is due 6 s after the last one.
    await eventually(
      async () => {
        if ((await robotRow(site.sql)).pending_rotation !== null) throw new Error("rotation pending");
      },
      30_000,
      "no rotation pending",
    );
    await site.sat!.stop();
    const row = await robotRow(site.sql);
    expect(row.pending_rotation).toBeNull();
    const current = harborSecret(site).secret;
    // The database holds only a hash of the current secret, nothing of the old one.
    expect(row.secret_hash).toMatch(/^\$scrypt\$/);
    expect(await verifySecret(current, row.secret_hash)).toBe(true);
    expect(row.previous_secret_hash).toBeNull();
    const dbText = JSON.stringify(row);
    for (const secret of [before, rotated, current]) expect(dbText).not.toContain(secret);

    // config.json: sealed, no secret in the clear, and it opens to the current secret.
    const path = join(site.dataDir, "config.json");
    const text = await readFile(path, "utf8");
    for (const secret of [before, rotated, current]) expect(text).not.toContain(secret);
    const loaded = await loadConfigFile(path, { fingerprint: () => deviceFingerprint() });
    expect(loaded.status === "discard" ? `${loaded.reason.name}: ${loaded.reason.message}` : loaded).toMatchObject({
      status: "loaded",
      sealed: true,
    });
    expect(loaded.status === "loaded" && loaded.config.state_config.auth.password).toBe(current);

    expect(await harborAccepts(site, current)).toBe("ok");
    expect(await harborAccepts(site, before)).toBe("401");
    const output = site.sat!.output();
    expect(output).toContain("robot credentials refreshed by Ground Control and saved");
    for (const secret of [before, rotated, current]) expect(output).not.toContain(secret);
    const gcOutput = site.stack.gc.output();
    expect(gcOutput).toContain("robot secret rotated; delivering it");
    expect(gcOutput).toContain("robot secret rotation confirmed");
    for (const secret of [before, rotated, current]) expect(gcOutput).not.toContain(secret);
  });
});

describe("credential refresh: a secret revoked behind Ground Control's back", () => {
  let site: Site;

  beforeAll(async () => {
    site = await startSite("cred-revoked", {});
  });
  afterAll(() => stopSite(site));

  it("reports needs re-enrolment in its heartbeat, shown by the drift view and groundctl", async () => {
    await enrolSatellite(site, [{ repository: "apps/alpine", tags: ["3.20"] }]);
    await eventually(async () => (alive(site), served(site, "apps/alpine", "3.20")), 90_000, "alpine served");

    // Replaced in Harbor only (as an operator refreshing it in Harbor's UI would): Ground Control
    // still accepts the satellite's secret, Harbor does not.
    harborSecret(site).secret = generateSecret();
    // A group change makes the next pass read from Harbor.
    await site.stack.admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/nginx", tags: ["1.27"] },
      ],
    });
    const drift = await eventually(
      async () => {
        alive(site);
        const d = (await site.stack.admin.heartbeat.getSatelliteDrift({ satellite: SATELLITE })).drift!;
        if (!d.reason.startsWith("needs re-enrolment")) throw new Error(`not yet: ${d.reason}`);
        return d;
      },
      90_000,
      "the drift view saying needs re-enrolment",
    );
    expect(drift.state).toBe(DriftState.FAILING);
    expect(drift.reason).toMatch(/new ZTR token/);
    const status = (await site.stack.admin.heartbeat.getSatelliteStatus({ satellite: SATELLITE })).status!;
    expect(status.latest?.errors.map((e) => e.reference)).toContain("robot-credentials");
    expect(await harborAccepts(site, harborSecret(site).secret)).toBe("ok");

    const json = JSON.parse(await groundctlStatus(site));
    expect(json.satellites[0]).toMatchObject({ name: SATELLITE, drift: "failing" });
    expect(json.satellites[0].reason).toMatch(/^needs re-enrolment: /);
  });
});

/** `groundctl login` then `groundctl status -o json`, as an operator would. */
async function groundctlStatus(site: Site): Promise<string> {
  const env = { PATH: process.env.PATH, HOME: site.stack.work, GROUNDCTL_CONFIG_DIR: join(site.stack.work, "gctl") };
  const run = (args: string[], stdin = "") =>
    new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [join(REPO_ROOT, "bin/groundctl.mjs"), ...args], { env });
      let out = "";
      let err = "";
      proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
      proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
      proc.on("error", reject);
      proc.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`groundctl ${args[0]}: ${err}`))));
      proc.stdin.end(stdin);
    });
  await run(["login", "--url", site.stack.gcUrl, "--username", "admin", "--password-stdin"], `${ADMIN_PASSWORD}\n`);
  return run(["status", "-o", "json"]);
}
