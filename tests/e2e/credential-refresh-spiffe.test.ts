// Credential refresh in SPIFFE mode, end to end: a real `ground-control` serving mTLS with its SVID
// (fake SPIRE agent and server: the SPIRE test doubles) and a real `satellite` enrolled with its
// own SVID. Its robot secret is replaced in Harbor behind Ground Control's back; the next pass gets
// 401 from Harbor, the satellite enrols again over SPIFFE (no token needed), gets fresh
// credentials and carries on replicating, with no "needs re-enrolment" in its heartbeat.
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySecret } from "@harbor-satellite/rpc";
import { freePort } from "@harbor-satellite/testkit";
import { generateSecret } from "@harbor-satellite/testkit/harbor-emulator";
import { servedDigest } from "./agent-helpers.js";
import { FAST_CONFIG, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { GiveUp, eventually, type RunningProcess } from "./processes.js";
import { registerSpiffeSatellite, startSpiffeSatellite } from "./spiffe-stack.js";

describe("credential refresh, SPIFFE mode: Harbor refuses the robot secret", () => {
  let stack: FleetStack;
  let sql: postgres.Sql;
  let sat: RunningProcess | undefined;
  let satPort: number;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "cred-spiffe",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20"],
      layerSizes: [32 << 10],
      adminPassword: "e2e-credential-refresh-spiffe",
      spiffe: true,
      groundControlEnv: { LOG_LEVEL: "info" },
    });
    const { admin } = stack;
    sql = postgres(stack.databaseUrl, { max: 1 });
    satPort = await freePort();

    await admin.fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST_CONFIG) });
    await admin.fleet.createGroup({ group: "web", artifacts: [{ repository: "apps/alpine", tags: ["3.20"] }] });
    await registerSpiffeSatellite(admin, stack.spiffe!, {
      satellite: "edge-1",
      region: "eu",
      groups: ["web"],
      config: "fast",
    });
    sat = startSpiffeSatellite({
      gcUrl: stack.gcUrl,
      trust: stack.spiffe!,
      dataDir: join(stack.work, "satellite"),
      registryPort: satPort,
    });
  });

  afterAll(async () => {
    if (process.env.AGENT_E2E_DUMP)
      process.stdout.write(`${sat?.output()}\n--- ground-control ---\n${stack?.gc.output()}`);
    await sat?.stop();
    await sql?.end();
    await stack?.stop();
  });

  const served = async (repository: string, tag: string) => {
    if (sat?.proc.exitCode !== null) throw new GiveUp(`satellite exited: ${sat?.output()}`);
    return servedDigest(satPort, repository, tag);
  };
  const robot = () => [...stack.emu.state.robots.values()].find((r) => r.name === "edge-1")!;

  it("enrols again over SPIFFE after a 401 and goes on replicating with fresh credentials", async () => {
    await eventually(() => served("apps/alpine", "3.20"), 90_000, "alpine served");
    const revoked = generateSecret();
    robot().secret = revoked; // behind Ground Control's back: the satellite's secret is now refused
    await stack.admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/nginx", tags: ["1.27"] },
      ],
    });

    const nginx = await eventually(() => served("apps/nginx", "1.27"), 90_000, "nginx served after re-enrolment");
    expect(nginx).toBe(stack.images["apps/nginx"].manifestDigest);
    expect(sat!.output()).toContain("enrolling again over SPIFFE for fresh ones");
    // Enrolment rotated the secret once more: Harbor and the database agree, and it is not the revoked one.
    const current = robot().secret;
    expect(current).not.toBe(revoked);
    const [row] = await sql`select secret_hash, previous_secret_hash from robot_accounts`;
    expect(await verifySecret(current, row.secret_hash as string)).toBe(true);
    expect(row.previous_secret_hash).toBeNull();
    const status = await eventually(
      async () => {
        const s = (await stack.admin.heartbeat.getSatelliteStatus({ satellite: "edge-1" })).status!;
        if (s.latest?.cachedImages.length !== 2) throw new Error("heartbeat without both images yet");
        return s;
      },
      60_000,
      "a heartbeat with both images",
    );
    expect(status.latest?.errors.map((e) => e.reference)).not.toContain("robot-credentials");
    for (const secret of [revoked, current]) expect(sat!.output()).not.toContain(secret);
  });
});
