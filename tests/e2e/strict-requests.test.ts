// Issue 10 as the new user met it, with plain HTTP against a real `ground-control` process on
// PostgreSQL: a one-letter typo in a JSON request no longer empties a group or falls back to a
// default; an update that would empty a group must say so; and the request names renamed in
// v0.2 still work the old way, in JSON and by field number.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetSatelliteRequestSchema,
  GetSatelliteResponseSchema,
} from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { freePort, startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { startProcess, waitForHttp, type RunningProcess } from "./processes.js";
import { HARBOR } from "./ground-control-process.js";

const ADMIN_PASSWORD = "e2e-admin-password";
const NGINX = { repository: "apps/nginx", tags: ["1.27"] };
const ALPINE = { repository: "apps/alpine", tags: ["3.20"] };

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe("strict requests against a real Ground Control", () => {
  let pg: PostgresServer;
  let emu: HarborEmulator;
  let gc: RunningProcess;
  let url: string;
  let bearer: string;

  /** What `curl -H 'content-type: application/json' -d <json>` gets. */
  const curl = async (rpc: string, json: string): Promise<Answer> => {
    const res = await fetch(`${url}/harbor.satellite.${rpc}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: bearer },
      body: json,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The group's repositories; proto3 JSON leaves an empty list out. */
  const artifactsOf = async (group: string) => {
    const got = await curl("fleet.v1.FleetService/GetGroup", JSON.stringify({ group }));
    expect(got.status).toBe(200);
    return ((got.body.group as { artifacts?: Array<{ repository: string }> }).artifacts ?? []).map((a) => a.repository);
  };

  beforeAll(async () => {
    pg = await startPostgres();
    emu = await startHarborEmulator({ adminUser: HARBOR.username, adminPassword: HARBOR.password });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gc = startProcess("ground-control", ["--port", String(port), "--host", "127.0.0.1"], {
      DATABASE_URL: await pg.createDatabase("gc_strict"),
      HARBOR_URL: emu.url,
      HARBOR_USERNAME: HARBOR.username,
      HARBOR_PASSWORD: HARBOR.password,
      ADMIN_PASSWORD,
      LOG_LEVEL: "error",
    });
    await waitForHttp(`${url}/healthz`, gc);
    const login = await curl(
      "identity.v1.IdentityService/Login",
      JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    );
    expect(login.status).toBe(200);
    bearer = `Bearer ${login.body.sessionToken as string}`;
    expect(
      (await curl("fleet.v1.FleetService/CreateGroup", JSON.stringify({ group: "web", artifacts: [NGINX, ALPINE] })))
        .status,
    ).toBe(200);
    expect(
      (await curl("fleet.v1.FleetService/CreateSatellite", JSON.stringify({ satellite: "edge-1", groups: ["web"] })))
        .status,
    ).toBe(200);
  });

  afterAll(async () => {
    await gc?.stop();
    await emu?.stop();
    await pg?.stop();
  });

  it('refuses UpdateGroup {"name":"web","artifact":[…]} naming "artifact", and the group keeps its images', async () => {
    const typo = await curl("fleet.v1.FleetService/UpdateGroup", JSON.stringify({ name: "web", artifact: [NGINX] }));
    expect(typo).toEqual({
      status: 400,
      body: {
        code: "invalid_argument",
        message:
          'unknown field "artifact" in harbor.satellite.fleet.v1.UpdateGroupRequest (its fields: artifacts, group, clear_artifacts)',
      },
    });
    expect(await artifactsOf("web")).toEqual(["apps/nginx", "apps/alpine"]);
  });

  it("refuses an UpdateGroup that would empty the group unless clear_artifacts says so", async () => {
    const message =
      "UpdateGroup without artifacts would remove every image from group web (its satellites would delete them): pass clear_artifacts=true to mean it";
    for (const json of ['{"group":"web"}', '{"name":"web","artifacts":[]}']) {
      expect(await curl("fleet.v1.FleetService/UpdateGroup", json), json).toEqual({
        status: 400,
        body: { code: "invalid_argument", message },
      });
    }
    expect(await artifactsOf("web")).toEqual(["apps/nginx", "apps/alpine"]);
    expect(
      (await curl("fleet.v1.FleetService/UpdateGroup", JSON.stringify({ group: "web", artifacts: [NGINX] }))).status,
    ).toBe(200);
    expect(await artifactsOf("web")).toEqual(["apps/nginx"]);
    const cleared = await curl("fleet.v1.FleetService/UpdateGroup", '{"group":"web","clear_artifacts":true}');
    expect(cleared.status).toBe(200);
    expect(cleared.body.group).toMatchObject({ name: "web", satellites: ["edge-1"] });
    expect(await artifactsOf("web")).toEqual([]);
  });

  it('refuses IssueZtrToken {"satellite":"edge-1","ttl":60} naming "ttl" instead of issuing a 24 h token', async () => {
    const typo = await curl("identity.v1.IdentityService/IssueZtrToken", '{"satellite":"edge-1","ttl":60}');
    expect(typo).toEqual({
      status: 400,
      body: {
        code: "invalid_argument",
        message:
          'unknown field "ttl" in harbor.satellite.identity.v1.IssueZtrTokenRequest (its fields: satellite, ttl_seconds)',
      },
    });
    const before = Date.now();
    const issued = await curl("identity.v1.IdentityService/IssueZtrToken", '{"satellite":"edge-1","ttlSeconds":60}');
    expect(issued.status).toBe(200);
    const expires = Date.parse(issued.body.expireTime as string);
    expect(expires - before).toBeGreaterThan(50_000);
    expect(expires - before).toBeLessThan(120_000);
  });

  it("still takes the old request names over JSON, and refuses old and new disagreeing", async () => {
    expect(
      (await curl("fleet.v1.FleetService/CreateSatellite", '{"name":"edge-2","configName":"default"}')).status,
    ).toBe(200);
    const got = await curl("fleet.v1.FleetService/GetSatellite", '{"name":"edge-2"}');
    expect(got.status).toBe(200);
    expect(got.body.satellite).toMatchObject({ name: "edge-2", configName: "default" });
    expect(
      (await curl("fleet.v1.FleetService/SetSatelliteConfig", '{"satellite":"edge-2","config_name":"default"}')).status,
    ).toBe(200);
    expect(await curl("fleet.v1.FleetService/GetSatellite", '{"satellite":"edge-2","name":"edge-1"}')).toEqual({
      status: 400,
      body: {
        code: "invalid_argument",
        message:
          'satellite "edge-2" and name "edge-1" disagree: name is the deprecated name of satellite (accepted until v0.3); send satellite only',
      },
    });
  });

  it("still takes the old request fields by number: Connect binary and gRPC, as older clients send them", async () => {
    // GetSatelliteRequest with field 1 (the deprecated `name`) set, byte for byte.
    const oldRequest = toBinary(GetSatelliteRequestSchema, create(GetSatelliteRequestSchema, { name: "edge-2" }));
    expect(Buffer.from(oldRequest)).toEqual(Buffer.concat([Buffer.from([0x0a, 6]), Buffer.from("edge-2")]));
    const res = await fetch(`${url}/harbor.satellite.fleet.v1.FleetService/GetSatellite`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: bearer },
      body: oldRequest,
    });
    expect(res.status).toBe(200);
    expect(fromBinary(GetSatelliteResponseSchema, new Uint8Array(await res.arrayBuffer())).satellite?.name).toBe(
      "edge-2",
    );

    // A heartbeat and a status read naming the satellite by field 1, over gRPC.
    const heartbeat = createClient(HeartbeatService, createGrpcTransport({ baseUrl: url }));
    const headers = { authorization: bearer };
    await heartbeat.sync({ name: "edge-2", imageCount: 3 }, { headers });
    const { status } = await heartbeat.getSatelliteStatus({ name: "edge-2" }, { headers });
    expect(status?.latest).toMatchObject({ satellite: "edge-2", name: "edge-2", imageCount: 3 });
  });
});
