// The services as separate processes behind one gateway: a registry process, and a gateway
// process serving identity, fleet and heartbeat that forwards registry rpcs to it. Both share one
// PostgreSQL; they trust each other through GC_INTERNAL_TOKEN. An admin sees one door.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { createRegistryClient } from "@harbor-satellite/oci";
import { freePort, startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { adminClients, type AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { eventually, startProcess, waitForHttp, type RunningProcess } from "./processes.js";
import { HARBOR } from "./ground-control-process.js";

const ADMIN_PASSWORD = "split-admin-password";
const INTERNAL = "split-internal-token-0123456789";

describe("services as separate processes behind one gateway", () => {
  let pg: PostgresServer;
  let emu: HarborEmulator;
  let registryProc: RunningProcess;
  let gateway: RunningProcess;
  let gatewayUrl: string;
  let registryUrl: string;
  let admin: AdminClients;

  beforeAll(async () => {
    [pg, emu] = await Promise.all([
      startPostgres(),
      startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password }),
    ]);
    const env = {
      DATABASE_URL: await pg.createDatabase("gc_split"),
      HARBOR_URL: emu.url,
      HARBOR_USERNAME: HARBOR.username,
      HARBOR_PASSWORD: HARBOR.password,
      ADMIN_PASSWORD,
      GC_INTERNAL_TOKEN: INTERNAL,
      LOG_LEVEL: "warn",
    };
    const [registryPort, gatewayPort] = [await freePort(), await freePort()];
    registryUrl = `http://127.0.0.1:${registryPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    registryProc = startProcess(
      "ground-control",
      ["--port", String(registryPort), "--host", "127.0.0.1", "--services", "registry"],
      env,
    );
    await waitForHttp(`${registryUrl}/healthz`, registryProc);
    gateway = startProcess(
      "ground-control",
      [
        "--port",
        String(gatewayPort),
        "--host",
        "127.0.0.1",
        "--services",
        "identity,fleet,heartbeat",
        "--remote",
        `registry=${registryUrl}`,
      ],
      env,
    );
    await waitForHttp(`${gatewayUrl}/healthz`, gateway);
    admin = await adminClients(gatewayUrl, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await gateway?.stop();
    await registryProc?.stop();
    await Promise.all([emu?.stop(), pg?.stop()]);
  });

  it("creates a satellite at the gateway and gets its robot from the registry process", async () => {
    await admin.fleet.createSatellite({ satellite: "edge-split" });
    const robot = await eventually(
      () => {
        const found = [...emu.state.robots.values()].find((r) => r.name === "edge-split");
        if (!found) throw new Error("robot not created yet");
        return Promise.resolve(found);
      },
      30_000,
      "the robot created through the remote registry service",
    );
    expect(robot.level).toBe("system");
  });

  it("forwards registry rpcs through the gateway with the admin's identity", async () => {
    const viaGateway = createClient(
      RegistryService,
      createConnectTransport({ baseUrl: gatewayUrl, httpVersion: "1.1" }),
    );
    const denied = await viaGateway.getRobot({ satellite: "edge-split" }).catch((e) => ConnectError.from(e));
    expect(denied).toMatchObject({ code: Code.Unauthenticated });
    const { sessionToken } = await admin.identity.login({ username: "admin", password: ADMIN_PASSWORD });
    const { robot } = await viaGateway.getRobot(
      { satellite: "edge-split" },
      { headers: { authorization: `Bearer ${sessionToken}` } },
    );
    expect(robot?.name).toBe("robot$edge-split");
  });

  it("serves a satellite its state at the gateway from the registry process, with the gateway's URL, and only its own", async () => {
    const { sessionToken } = await admin.identity.login({ username: "admin", password: ADMIN_PASSWORD });
    const asAdmin = { headers: { authorization: `Bearer ${sessionToken}` } };
    const viaGateway = createClient(
      RegistryService,
      createConnectTransport({ baseUrl: gatewayUrl, httpVersion: "1.1" }),
    );
    // Published directly (the emulator has no registry for the outbox's config push): the URL the
    // registry process reports is the one the admin reached the gateway at, carried across.
    const { state } = await viaGateway.publishSatelliteState(
      { satellite: "edge-split", groups: [], config: "" },
      asAdmin,
    );
    expect(state?.url).toBe(`${gatewayUrl}/satellite/satellite-state/edge-split/state:latest`);

    const { token } = await admin.identity.issueZtrToken({ satellite: "edge-split" });
    const { stateConfig } = await createClient(
      IdentityService,
      createConnectTransport({ baseUrl: gatewayUrl, httpVersion: "1.1" }),
    ).tokenZtr({ token });
    expect(stateConfig?.stateUrl).toBe(state?.url);
    const robot = createRegistryClient({
      url: gatewayUrl,
      credentials: { username: stateConfig!.auth!.username, password: stateConfig!.auth!.password },
      retry: { attempts: 1 },
    });
    try {
      expect((await robot.getManifest("satellite/satellite-state/edge-split/state", "latest")).digest).toBe(
        state?.digest,
      );
      await expect(robot.getManifest("satellite/satellite-state/other/state", "latest")).rejects.toMatchObject({
        status: 403,
      });
    } finally {
      robot.close();
    }

    // The registry process refuses too, whoever forwards the request (authorization in depth).
    const direct = createClient(RegistryService, createConnectTransport({ baseUrl: registryUrl, httpVersion: "1.1" }));
    const other = Buffer.from(JSON.stringify({ kind: "satellite", name: "other", via: "robot" })).toString("base64url");
    const denied = await direct
      .getSatelliteStateArtifact(
        { satellite: "edge-split", target: { case: "manifest", value: "latest" } },
        { headers: { authorization: `Bearer ${INTERNAL}`, "x-harbor-satellite-caller": other } },
      )
      .catch((e) => ConnectError.from(e));
    expect(denied).toMatchObject({
      code: Code.PermissionDenied,
      rawMessage: 'satellite "other" may not read the state of satellite "edge-split"',
    });
  });

  it("keeps the registry process closed to callers without the internal token", async () => {
    const direct = createClient(RegistryService, createConnectTransport({ baseUrl: registryUrl, httpVersion: "1.1" }));
    const denied = await direct
      .getRobot({ satellite: "edge-split" }, { headers: { authorization: "Bearer not-the-internal-token" } })
      .catch((e) => ConnectError.from(e));
    expect(denied).toMatchObject({ code: Code.Unauthenticated });
  });
});
