// Ground Control serving SPIFFE mTLS with its SVID from a (fake) Workload API: satellites enrol
// and heartbeat with their SVIDs; every bad certificate is refused with its reason; admins
// without a certificate share the port. Harbor is the emulator's REST API; SPIRE is the fake.
import { once } from "node:events";
import http2 from "node:http2";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { AttestationMethod, IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import {
  authorizeID,
  createClientTlsOptions,
  createStaticX509Source,
  groundControlSpiffeId,
  TrustDomain,
  X509Bundle,
  X509BundleSet,
} from "@harbor-satellite/spiffe";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { FakeSpireServer, FakeWorkloadApi, TestCA, type TestSvid } from "@harbor-satellite/testkit/spiffe";
import { startTestGroundControl, TEST_ADMIN_PASSWORD } from "./test-support.js";

const TD = "harbor-satellite.local";
const HARBOR = { username: "admin", password: "Harbor12345" };

describe("gateway: SPIFFE mTLS", () => {
  let ca: TestCA;
  let foreignCa: TestCA;
  let workload: FakeWorkloadApi;
  let spire: FakeSpireServer;
  let emu: HarborEmulator;
  let gc: Awaited<ReturnType<typeof startTestGroundControl>>;
  let baseUrl: string;
  let adminToken: string;

  /** A client presenting `svid` (or none), verifying that the server is Ground Control. */
  const transportFor = (svid: TestSvid | undefined, trust: TestCA = ca) => {
    const bundles = new X509BundleSet([trust.bundle()]);
    const tls = svid
      ? createClientTlsOptions(
          createStaticX509Source({ svid, bundles }),
          authorizeID(groundControlSpiffeId(TrustDomain.parse(TD))),
        )
      : { ca: ca.certificate.toString(), checkServerIdentity: () => undefined };
    return createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions: tls });
  };
  const identityAs = (svid?: TestSvid) => createClient(IdentityService, transportFor(svid));
  const heartbeatAs = (svid?: TestSvid) => createClient(HeartbeatService, transportFor(svid));
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
  const satelliteSvid = (name: string, region = "eu", options = {}) =>
    ca.issueSvid(`spiffe://${TD}/satellite/region/${region}/${name}`, options);

  beforeAll(async () => {
    ca = await TestCA.create(TD);
    foreignCa = await TestCA.create("evil.test");
    [workload, spire, emu] = await Promise.all([
      FakeWorkloadApi.start(),
      FakeSpireServer.start({ ca }),
      startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password }),
    ]);
    workload.setIdentity({ svids: [await ca.issueSvid(`spiffe://${TD}/gc/main`)], bundle: ca.bundle() });
    gc = await startTestGroundControl(
      {},
      {
        SPIFFE_ENDPOINT_SOCKET: workload.address,
        SPIRE_SERVER_SOCKET: spire.socketPath,
        HARBOR_URL: emu.url,
        HARBOR_USERNAME: HARBOR.username,
        HARBOR_PASSWORD: HARBOR.password,
        TRUST_DOMAIN: TD,
      },
    );
    baseUrl = `https://127.0.0.1:${gc.port}`;
    adminToken = (await identityAs().login({ username: "admin", password: TEST_ADMIN_PASSWORD })).sessionToken;
  });
  afterAll(async () => {
    await gc?.close();
    await Promise.all([workload?.stop(), spire?.stop(), emu?.stop()]);
  });

  it("registers a satellite with SPIRE: workload entry under its agent and a single-use join token", async () => {
    const res = await identityAs().registerSatellite(
      {
        satellite: "edge-1",
        region: "eu",
        selectors: ["docker:label:app:satellite"],
        attestation: AttestationMethod.JOIN_TOKEN,
      },
      { headers: { authorization: `Bearer ${adminToken}` } },
    );
    expect(res).toMatchObject({
      satellite: "edge-1",
      region: "eu",
      spiffeId: `spiffe://${TD}/satellite/region/eu/edge-1`,
      parentAgentId: `spiffe://${TD}/agent/edge-1`,
      trustDomain: TD,
      spireServerPort: 8081,
    });
    expect(res.joinToken?.value).toBeTruthy();
    expect(res.entryId).toBeTruthy();
    // A retry by an older client, naming the satellite by the deprecated field (accepted until v0.3).
    const again = await identityAs().registerSatellite(
      { name: "edge-1", region: "eu", selectors: ["docker:label:app:satellite"] },
      { headers: { authorization: `Bearer ${adminToken}` } },
    );
    expect(again.entryId).toBe(res.entryId); // idempotent on retry
    const agent = await spire.attestAgent(res.joinToken!.value);
    expect(agent.agentId.toString()).toContain("/spire/agent/join_token/");
    await expect(spire.attestAgent(res.joinToken!.value)).rejects.toThrow();
  });

  it("enrols a satellite that presents its SVID, auto-registering one it has not seen", async () => {
    const fleet: Client<typeof FleetService> = createClient(FleetService, transportFor(undefined));
    const { stateConfig } = await identityAs(await satelliteSvid("edge-new", "us")).spiffeZtr({});
    // The state URL is Ground Control's, as this satellite reached it (https: the connection is TLS).
    expect(stateConfig).toMatchObject({
      satellite: "edge-new",
      stateUrl: `${baseUrl}/satellite/satellite-state/edge-new/state:latest`,
      auth: { url: emu.url, username: "robot$edge-new" },
    });
    const { satellite } = await fleet.getSatellite(
      { satellite: "edge-new" },
      { headers: { authorization: `Bearer ${adminToken}` } },
    );
    expect(satellite?.region).toBe("us");
  });

  it("accepts a satellite's heartbeat as itself and refuses it as another satellite", async () => {
    const svid = await satelliteSvid("edge-1");
    const ok = await heartbeatAs(svid).sync({ satellite: "edge-1", cpuPercent: 3 });
    expect(ok.receiveTime).toBeDefined();
    const other = await failure(heartbeatAs(svid).sync({ satellite: "edge-new" }));
    expect(other).toMatchObject({ code: Code.PermissionDenied });
    expect(other?.rawMessage).toMatch(/may not send heartbeats as "edge-new"/);
  });

  it("refuses enrolment without a client certificate, and every bad certificate with its reason", async () => {
    const none = await failure(identityAs().spiffeZtr({}));
    expect(none).toMatchObject({ code: Code.Unauthenticated });
    expect(none?.rawMessage).toMatch(/satellite identity/);

    const cases: [string, Promise<TestSvid>, RegExp][] = [
      ["foreign trust domain", foreignCa.issueSvid("spiffe://evil.test/satellite/region/eu/edge-1"), /evil\.test/],
      [
        "expired SVID",
        satelliteSvid("edge-1", "eu", {
          notBefore: new Date(Date.now() - 7_200_000),
          notAfter: new Date(Date.now() - 3_600_000),
        }),
        /expired/,
      ],
      ["leaf that is a CA", satelliteSvid("edge-1", "eu", { asCA: true }), /CA/],
      ["not a satellite ID", ca.issueSvid(`spiffe://${TD}/workload/other`), /not under \/satellite/],
    ];
    for (const [name, svidPromise, reason] of cases) {
      const err = await failure(identityAs(await svidPromise).spiffeZtr({}));
      expect(err?.code, name).toBe(Code.Unauthenticated);
      expect(err?.rawMessage, name).toMatch(/client certificate rejected/);
      expect(err?.rawMessage, name).toMatch(reason);
    }
  });

  it("keeps admin rpcs for admins, with or without a certificate", async () => {
    const satelliteAsAdmin = await failure(
      identityAs(await satelliteSvid("edge-1")).issueZtrToken({ satellite: "edge-1" }),
    );
    expect(satelliteAsAdmin).toMatchObject({ code: Code.PermissionDenied });
    const token = await identityAs().issueZtrToken(
      { satellite: "edge-1" },
      { headers: { authorization: `Bearer ${adminToken}` } },
    );
    expect(token.token).toMatch(/^[0-9a-f]{32}$/);
  });

  /** One HTTP/2 connection presenting `svid`: every call on it shares the TLS session Ground Control verified. */
  const h2ConnectionAs = (svid: TestSvid) => {
    const tls = createClientTlsOptions(
      createStaticX509Source({ svid, bundles: new X509BundleSet([ca.bundle()]) }),
      authorizeID(groundControlSpiffeId(TrustDomain.parse(TD))),
    );
    const session = http2.connect(baseUrl, tls);
    let connections = 0;
    session.on("connect", () => connections++);
    /** A unary Connect call with JSON on this connection. */
    const call = async (path: string, body: unknown) => {
      const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/json" });
      stream.end(JSON.stringify(body));
      let text = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (text += chunk));
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      await once(stream, "end");
      return { status: headers[":status"], body: JSON.parse(text) as { code?: string; message?: string } };
    };
    return { call, connections: () => connections, close: () => session.close() };
  };

  it("refuses a request after the client's SVID expired on a live HTTP/2 connection, though the first was accepted", async () => {
    // X.509 times are whole seconds: expire 2-3 s from now.
    const notAfter = new Date((Math.floor(Date.now() / 1000) + 3) * 1000);
    const connection = h2ConnectionAs(await satelliteSvid("edge-1", "eu", { notAfter }));
    try {
      const sync = "/harbor.satellite.heartbeat.v1.HeartbeatService/Sync";
      expect(await connection.call(sync, { name: "edge-1", cpuPercent: 1 })).toMatchObject({ status: 200 });
      await new Promise((resolve) => setTimeout(resolve, notAfter.getTime() + 1_100 - Date.now()));
      const refused = await connection.call(sync, { name: "edge-1", cpuPercent: 2 });
      expect(refused).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
      expect(refused.body.message).toBe(
        `client certificate rejected: certificate expired at ${notAfter.toISOString()} while the connection was open`,
      );
      expect(connection.connections()).toBe(1); // the same connection throughout: its cached verdict was not trusted
    } finally {
      connection.close();
    }
  });

  it("refuses a satellite SVID from a CA outside the trust bundle, then accepts one once the bundle rotates to include it", async () => {
    const nextCa = await TestCA.create(TD);
    const fromNextCa = await nextCa.issueSvid(`spiffe://${TD}/satellite/region/eu/edge-1`);
    const before = await failure(heartbeatAs(fromNextCa).sync({ satellite: "edge-1" }));
    expect(before).toMatchObject({ code: Code.Unauthenticated });
    expect(before?.rawMessage).toMatch(/client certificate rejected: .*does not chain to the trust bundle/);
    // Both CAs from now on: Ground Control's own SVID (from the first) stays trusted by clients.
    workload.rotate({
      svids: [await ca.issueSvid(`spiffe://${TD}/gc/main`)],
      bundle: new X509Bundle(TrustDomain.parse(TD), [ca.certificate, nextCa.certificate]),
    });
    let accepted: unknown;
    for (let attempt = 0; attempt < 50 && !accepted; attempt++) {
      accepted = await heartbeatAs(fromNextCa)
        .sync({ satellite: "edge-1", cpuPercent: 4 })
        .catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100)); // Ground Control has not seen the rotation yet
          return undefined;
        });
    }
    expect(accepted).toMatchObject({ receiveTime: expect.anything() });
    expect((await heartbeatAs(await satelliteSvid("edge-1")).sync({ satellite: "edge-1" })).receiveTime).toBeDefined();
  });

  /** A plain HTTPS GET over mTLS with `svid` (or none), as an original satellite or crane makes it. */
  const httpsGet = async (path: string, svid?: TestSvid) => {
    const { request } = await import("node:https");
    const tls = svid
      ? createClientTlsOptions(
          createStaticX509Source({ svid, bundles: new X509BundleSet([ca.bundle()]) }),
          authorizeID(groundControlSpiffeId(TrustDomain.parse(TD))),
        )
      : { ca: ca.certificate.toString(), checkServerIdentity: () => undefined };
    return new Promise<{ status: number; json: Record<string, unknown>; challenge?: string }>((resolve, reject) => {
      const req = request(`${baseUrl}${path}`, { ...tls, agent: false }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), challenge: res.headers["www-authenticate"] }),
        );
      });
      req.on("error", reject);
      req.end();
    });
  };

  it("answers the original's REST enrolment route for an SVID", async () => {
    const body = await httpsGet("/satellites/spiffe-ztr", await satelliteSvid("edge-1"));
    expect(body.status).toBe(200);
    expect(body.json).toMatchObject({
      auth: { url: emu.url, username: "robot$edge-1" },
      state: `${baseUrl}/satellite/satellite-state/edge-1/state:latest`,
    });
  });

  it("serves the satellite-state endpoint to a satellite's SVID for its own state only", async () => {
    const svid = await satelliteSvid("edge-1");
    expect(await httpsGet("/v2/", svid)).toMatchObject({ status: 200, json: {} });
    // Authorized (nothing is published here: Harbor has no registry behind it), so not found.
    expect(await httpsGet("/v2/satellite/satellite-state/edge-1/state/manifests/latest", svid)).toMatchObject({
      status: 404,
      json: { errors: [{ code: "MANIFEST_UNKNOWN" }] },
    });
    expect(await httpsGet("/v2/satellite/satellite-state/edge-new/state/manifests/latest", svid)).toMatchObject({
      status: 403,
      json: {
        errors: [{ code: "DENIED", message: 'satellite "edge-1" may not read the state of satellite "edge-new"' }],
      },
    });
    expect(await httpsGet("/v2/satellite/satellite-state/edge-1/state/manifests/latest")).toMatchObject({
      status: 401,
      challenge: 'Basic realm="Ground Control"',
    });
  });
});
