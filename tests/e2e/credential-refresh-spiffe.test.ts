// Credential refresh in SPIFFE mode, end to end: a real `ground-control` serving mTLS with its SVID
// (fake SPIRE agent and server: the SPIRE test doubles) and a real `satellite` enrolled with its
// own SVID. Its robot secret is replaced in Harbor behind Ground Control's back; the next pass gets
// 401 from Harbor, the satellite enrols again over SPIFFE (no token needed), gets fresh
// credentials and carries on replicating, with no "needs re-enrolment" in its heartbeat.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttestationMethod } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { createHarborClient } from "@harbor-satellite/harbor";
import { createRegistryClient } from "@harbor-satellite/oci";
import { verifySecret } from "@harbor-satellite/rpc";
import {
  buildImage,
  freePort,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  startPostgres,
  type PostgresServer,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { adminClients, type AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { generateSecret, startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { FakeSpireServer, FakeWorkloadApi, TestCA } from "@harbor-satellite/testkit/spiffe";
import { FAST_CONFIG } from "./fleet-stack.js";
import { HARBOR } from "./ground-control-process.js";
import { eventually, GiveUp, startProcess, type RunningProcess } from "./processes.js";

const TD = "harbor-satellite.local";
const ADMIN_PASSWORD = "e2e-credential-refresh-spiffe";
const DB = "gc_cred_refresh_spiffe";

describe("credential refresh, SPIFFE mode: Harbor refuses the robot secret", () => {
  let ca: TestCA;
  let gcAgent: FakeWorkloadApi;
  let edgeAgent: FakeWorkloadApi;
  let spire: FakeSpireServer;
  let pg: PostgresServer;
  let sql: postgres.Sql;
  let upstream: DockerRegistry;
  let emu: HarborEmulator;
  let gc: RunningProcess;
  let sat: RunningProcess | undefined;
  let admin: AdminClients;
  let storage: string;
  let work: string;
  let blobs: string;
  let satPort: number;
  const images: Record<string, SyntheticImage> = {};

  beforeAll(async () => {
    ca = await TestCA.create(TD);
    storage = await mkdtemp(join(tmpdir(), "cred-spiffe-upstream-"));
    work = await mkdtemp(join(tmpdir(), "cred-spiffe-"));
    [gcAgent, edgeAgent, spire, pg, upstream] = await Promise.all([
      FakeWorkloadApi.start(),
      FakeWorkloadApi.start(),
      FakeSpireServer.start({ ca }),
      startPostgres(),
      startDockerRegistry({ dir: storage }),
    ]);
    gcAgent.setIdentity({ svids: [await ca.issueSvid(`spiffe://${TD}/gc/main`)], bundle: ca.bundle() });
    emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: upstream.url },
    });
    await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("apps", { public: false });
    blobs = await makeBlobDir();
    for (const [repo, tag] of [
      ["apps/nginx", "1.27"],
      ["apps/alpine", "3.20"],
    ]) {
      images[repo] = await buildImage({ layerSizes: [32 << 10], dir: blobs, labels: { repo } });
      await pushImage(emu.url, repo, tag, images[repo], HARBOR);
    }
    const databaseUrl = await pg.createDatabase(DB);
    sql = postgres(databaseUrl, { max: 1 });
    const port = await freePort();
    gc = startProcess("ground-control", ["--port", String(port), "--host", "127.0.0.1"], {
      DATABASE_URL: databaseUrl,
      HARBOR_URL: emu.url,
      HARBOR_USERNAME: HARBOR.username,
      HARBOR_PASSWORD: HARBOR.password,
      ADMIN_PASSWORD,
      TRUST_DOMAIN: TD,
      SPIFFE_ENDPOINT_SOCKET: gcAgent.address,
      SPIRE_SERVER_SOCKET: spire.socketPath,
      LOG_LEVEL: "info",
    });
    const adminTls = { ca: ca.certificate.toString(), checkServerIdentity: () => undefined };
    const gcUrl = `https://127.0.0.1:${port}`;
    await eventually(
      async () => {
        if (gc.proc.exitCode !== null) throw new GiveUp(`ground-control exited: ${gc.output()}`);
        admin = await adminClients(gcUrl, ADMIN_PASSWORD, adminTls);
      },
      60_000,
      "ground-control answering over mTLS",
    );
    satPort = await freePort();

    await admin.fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST_CONFIG) });
    await admin.fleet.createGroup({ group: "web", artifacts: [{ repository: "apps/alpine", tags: ["3.20"] }] });
    const reg = await admin.identity.registerSatellite({
      satellite: "edge-1",
      region: "eu",
      selectors: ["docker:label:app:satellite"],
      attestation: AttestationMethod.JOIN_TOKEN,
      groups: ["web"],
      config: "fast",
    });
    await spire.attestAgent(reg.joinToken!.value);
    edgeAgent.setIdentity({ svids: [await ca.issueSvid(reg.spiffeId)], bundle: ca.bundle() });
    sat = startProcess(
      "satellite",
      [
        "--ground-control-url",
        gcUrl,
        "--spiffe-enabled",
        "--spiffe-endpoint-socket",
        edgeAgent.address,
        "--data-dir",
        join(work, "satellite"),
        "--registry-addr",
        `127.0.0.1:${satPort}`,
      ],
      {},
    );
  });

  afterAll(async () => {
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(`${sat?.output()}\n--- ground-control ---\n${gc?.output()}`);
    await sat?.stop();
    await sql?.end();
    await gc?.stop();
    await emu?.stop();
    await Promise.all([upstream?.stop(), pg?.stop(), gcAgent?.stop(), edgeAgent?.stop(), spire?.stop()]);
    if (blobs) await removeBlobDir(blobs);
    await rm(storage, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const served = async (repository: string, tag: string) => {
    if (sat?.proc.exitCode !== null) throw new GiveUp(`satellite exited: ${sat?.output()}`);
    const local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });
    try {
      const digest = (await local.headManifest(repository, tag))?.digest;
      if (!digest) throw new Error(`${repository}:${tag} not served yet`);
      return digest;
    } finally {
      local.close();
    }
  };
  const robot = () => [...emu.state.robots.values()].find((r) => r.name === "edge-1")!;

  it("enrols again over SPIFFE after a 401 and goes on replicating with fresh credentials", async () => {
    await eventually(() => served("apps/alpine", "3.20"), 90_000, "alpine served");
    const revoked = generateSecret();
    robot().secret = revoked; // behind Ground Control's back: the satellite's secret is now refused
    await admin.fleet.updateGroup({
      group: "web",
      artifacts: [
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/nginx", tags: ["1.27"] },
      ],
    });

    const nginx = await eventually(() => served("apps/nginx", "1.27"), 90_000, "nginx served after re-enrolment");
    expect(nginx).toBe(images["apps/nginx"].manifestDigest);
    expect(sat!.output()).toContain("enrolling again over SPIFFE for fresh ones");
    // Enrolment rotated the secret once more: Harbor and the database agree, and it is not the revoked one.
    const current = robot().secret;
    expect(current).not.toBe(revoked);
    const [row] = await sql`select secret_hash, previous_secret_hash from robot_accounts`;
    expect(await verifySecret(current, row.secret_hash as string)).toBe(true);
    expect(row.previous_secret_hash).toBeNull();
    const status = await eventually(
      async () => {
        const s = (await admin.heartbeat.getSatelliteStatus({ satellite: "edge-1" })).status!;
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
