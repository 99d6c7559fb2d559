// An in-memory Ground Control for groundctl's unit tests: just enough of FleetService,
// HeartbeatService and IdentityService, behind an admin check, reached through a router
// transport, so commands run in-process from argv to exit code. It records every call.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import type { Artifact } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import { FleetService, GroupSchema, SatelliteSchema, type Group, type Satellite } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { Health, HeartbeatService, SatelliteStatusSchema, type SatelliteStatus } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { authInterceptors } from "./clients.js";
import type { Connector } from "./command.js";
import type { Io } from "./run.js";
import type { Target } from "./target.js";

export const FAKE_PASSWORD = "correct-horse";
export const FAKE_NOW = new Date("2025-01-02T03:04:05Z");

export interface FakeGroundControl {
  satellites: Map<string, Satellite>;
  groups: Map<string, Group>;
  statuses: Map<string, SatelliteStatus>;
  sessions: Set<string>;
  /** "<Method> <json of the request>" for every call that got past authentication. */
  calls: string[];
  /** The targets groundctl connected to. */
  targets: Target[];
  connect: Connector;
}

const notFound = (kind: string, name: string) => new ConnectError(`${kind} ${JSON.stringify(name)} not found`, Code.NotFound);

export function createFakeGroundControl(): FakeGroundControl {
  const fake: FakeGroundControl = { satellites: new Map(), groups: new Map(), statuses: new Map(), sessions: new Set(), calls: [], targets: [], connect: undefined as unknown as Connector };
  const record = (method: string, req: object) => fake.calls.push(`${method} ${JSON.stringify(req, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
  const groupOf = (name: string) => fake.groups.get(name) ?? throwError(notFound("group", name));
  const satelliteOf = (name: string) => fake.satellites.get(name) ?? throwError(notFound("satellite", name));
  const time = timestampFromDate(FAKE_NOW);

  const routes = (router: ConnectRouter) => {
    router.service(IdentityService, {
      login(req) {
        if (req.username !== "admin" || req.password !== FAKE_PASSWORD) throw new ConnectError("wrong user name or password", Code.Unauthenticated);
        const token = `session-${fake.sessions.size + 1}`;
        fake.sessions.add(token);
        return { sessionToken: token, expireTime: timestampFromDate(new Date(FAKE_NOW.getTime() + 3600_000)) };
      },
      logout(_req, ctx) {
        fake.sessions.delete(bearer(ctx.requestHeader.get("authorization")) ?? "");
        return {};
      },
      issueZtrToken(req) {
        record("IssueZtrToken", { satellite: req.satellite, ttlSeconds: req.ttlSeconds });
        satelliteOf(req.satellite);
        return { token: "0123456789abcdef0123456789abcdef", expireTime: time };
      },
    });
    router.service(FleetService, {
      createSatellite(req) {
        record("CreateSatellite", { name: req.name, region: req.region, groups: req.groups, configName: req.configName });
        if (fake.satellites.has(req.name)) throw new ConnectError(`satellite ${JSON.stringify(req.name)} already exists`, Code.AlreadyExists);
        const sat = create(SatelliteSchema, { name: req.name, region: req.region || "default", groups: req.groups, configName: req.configName || "default", createTime: time, updateTime: time });
        fake.satellites.set(req.name, sat);
        return { satellite: sat };
      },
      getSatellite: (req) => ({ satellite: satelliteOf(req.name) }),
      listSatellites: () => ({ satellites: [...fake.satellites.values()] }),
      deleteSatellite(req) {
        satelliteOf(req.name);
        fake.satellites.delete(req.name);
        return {};
      },
      createGroup(req) {
        record("CreateGroup", { name: req.name, artifacts: req.artifacts.map(plain) });
        if (fake.groups.has(req.name)) throw new ConnectError(`group ${JSON.stringify(req.name)} already exists`, Code.AlreadyExists);
        const group = create(GroupSchema, { name: req.name, artifacts: req.artifacts, createTime: time, updateTime: time });
        fake.groups.set(req.name, group);
        return { group };
      },
      updateGroup(req) {
        record("UpdateGroup", { name: req.name, artifacts: req.artifacts.map(plain) });
        const group = groupOf(req.name);
        group.artifacts = req.artifacts;
        return { group };
      },
      getGroup: (req) => ({ group: groupOf(req.name) }),
      listGroups: () => ({ groups: [...fake.groups.values()] }),
      assignGroup(req) {
        const sat = satelliteOf(req.satellite);
        const group = groupOf(req.group);
        if (!sat.groups.includes(req.group)) sat.groups = [...sat.groups, req.group].sort();
        if (!group.satellites.includes(req.satellite)) group.satellites = [...group.satellites, req.satellite].sort();
        return { satellite: sat };
      },
      deleteGroup(req) {
        const group = groupOf(req.name);
        if (group.satellites.length && !req.force) throw new ConnectError(`group ${JSON.stringify(req.name)} is assigned to ${group.satellites.join(", ")}`, Code.FailedPrecondition);
        fake.groups.delete(req.name);
        return {};
      },
      republishSatelliteStates(req) {
        for (const s of req.satellites) satelliteOf(s);
        return { queuedCount: req.satellites.length || fake.satellites.size };
      },
    });
    router.service(HeartbeatService, {
      getSatelliteStatus(req) {
        return { status: fake.statuses.get(req.name) ?? throwError(notFound("satellite", req.name)) };
      },
      listSatelliteStatuses: () => ({ statuses: [...fake.statuses.values()] }),
    });
  };

  fake.connect = async (target) => {
    fake.targets.push(target);
    const transport = createRouterTransport(routes, {
      transport: { interceptors: authInterceptors(target) },
      router: {
        interceptors: [
          (next) => async (req) => {
            if (req.method.name !== "Login" && !fake.sessions.has(bearer(req.header.get("authorization")) ?? "")) throw new ConnectError("a session or admin credentials are required", Code.Unauthenticated);
            return next(req);
          },
        ],
      },
    });
    return { transport, close: () => {} };
  };
  return fake;
}

/** A satellite status as the fake reports it. */
export function fakeStatus(name: string, health: Health, errors: { reference: string; message: string }[] = []): SatelliteStatus {
  return create(SatelliteStatusSchema, {
    name,
    region: "eu-west",
    health,
    heartbeatIntervalSeconds: 30n,
    ...(health === Health.NEVER_SEEN ? {} : { lastSeenTime: timestampFromDate(new Date(FAKE_NOW.getTime() - 42_000)), latest: { name, imageCount: 2, errors, activity: "pass done" } }),
  });
}

export interface CapturedIo extends Io {
  out: string;
  err: string;
}

/** Io for run(): captures output, feeds `stdin`, keeps the session under `configDir`. */
export function captureIo(fake: FakeGroundControl, configDir: string, stdin = "", env: NodeJS.ProcessEnv = {}): CapturedIo {
  const io: CapturedIo = {
    out: "",
    err: "",
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
    readStdin: async () => stdin,
    env: { GROUNDCTL_CONFIG_DIR: configDir, ...env },
    now: () => FAKE_NOW,
    connect: fake.connect,
  };
  return io;
}

const bearer = (header: string | null) => (header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined);
const plain = (a: Artifact) => ({ repository: a.repository, tags: a.tags, ...(a.digest ? { digest: a.digest } : {}) });
function throwError(error: Error): never {
  throw error;
}
