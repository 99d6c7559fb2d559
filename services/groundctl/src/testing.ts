// An in-memory Ground Control for groundctl's unit tests: just enough of FleetService,
// HeartbeatService and IdentityService, behind an admin check, reached through a router
// transport, so commands run in-process from argv to exit code. It records every call.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import type { Artifact } from "@harbor-satellite/gen/harbor/satellite/common/v1/common_pb";
import {
  FleetService,
  GroupSchema,
  SatelliteSchema,
  type Group,
  type Satellite,
} from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import {
  DriftState,
  Health,
  HeartbeatService,
  ImageDriftKind,
  SatelliteDriftSchema,
  SatelliteStatusSchema,
  type SatelliteDrift,
  type SatelliteStatus,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
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
  /** Drift verdicts; undefined: a Ground Control without the drift rpcs (Unimplemented). */
  drift?: Map<string, SatelliteDrift>;
  sessions: Set<string>;
  /** "<Method> <json of the request>" for every call that got past authentication. */
  calls: string[];
  /** The targets groundctl connected to. */
  targets: Target[];
  connect: Connector;
}

const notFound = (kind: string, name: string) =>
  new ConnectError(`${kind} ${JSON.stringify(name)} not found`, Code.NotFound);

export function createFakeGroundControl(options: { drift?: boolean } = {}): FakeGroundControl {
  const fake: FakeGroundControl = {
    satellites: new Map(),
    groups: new Map(),
    statuses: new Map(),
    ...(options.drift === false ? {} : { drift: new Map() }),
    sessions: new Set(),
    calls: [],
    targets: [],
    connect: undefined as unknown as Connector,
  };
  const record = (method: string, req: object) =>
    fake.calls.push(`${method} ${JSON.stringify(req, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
  const groupOf = (name: string) => fake.groups.get(name) ?? throwError(notFound("group", name));
  const satelliteOf = (name: string) => fake.satellites.get(name) ?? throwError(notFound("satellite", name));
  const time = timestampFromDate(FAKE_NOW);

  const routes = (router: ConnectRouter) => {
    router.service(IdentityService, {
      login(req) {
        if (req.username !== "admin" || req.password !== FAKE_PASSWORD)
          throw new ConnectError("wrong user name or password", Code.Unauthenticated);
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
        record("CreateSatellite", {
          satellite: req.satellite,
          region: req.region,
          groups: req.groups,
          config: req.config,
        });
        if (fake.satellites.has(req.satellite))
          throw new ConnectError(`satellite ${JSON.stringify(req.satellite)} already exists`, Code.AlreadyExists);
        const sat = create(SatelliteSchema, {
          name: req.satellite,
          region: req.region || "default",
          groups: req.groups,
          configName: req.config || "default",
          createTime: time,
          updateTime: time,
        });
        fake.satellites.set(req.satellite, sat);
        return { satellite: sat };
      },
      getSatellite: (req) => ({ satellite: satelliteOf(req.satellite) }),
      listSatellites: () => ({ satellites: [...fake.satellites.values()] }),
      deleteSatellite(req) {
        satelliteOf(req.satellite);
        fake.satellites.delete(req.satellite);
        return {};
      },
      createGroup(req) {
        record("CreateGroup", { group: req.group, artifacts: req.artifacts.map(plain) });
        if (fake.groups.has(req.group))
          throw new ConnectError(`group ${JSON.stringify(req.group)} already exists`, Code.AlreadyExists);
        const group = create(GroupSchema, {
          name: req.group,
          artifacts: req.artifacts,
          createTime: time,
          updateTime: time,
        });
        fake.groups.set(req.group, group);
        return { group };
      },
      updateGroup(req) {
        record("UpdateGroup", {
          group: req.group,
          artifacts: req.artifacts.map(plain),
          clearArtifacts: req.clearArtifacts,
        });
        if (req.artifacts.length === 0 && !req.clearArtifacts)
          throw new ConnectError("would remove every image: set clear_artifacts", Code.InvalidArgument);
        const group = groupOf(req.group);
        group.artifacts = req.artifacts;
        return { group };
      },
      getGroup: (req) => ({ group: groupOf(req.group) }),
      listGroups: () => ({ groups: [...fake.groups.values()] }),
      assignGroup(req) {
        const sat = satelliteOf(req.satellite);
        const group = groupOf(req.group);
        if (!sat.groups.includes(req.group)) sat.groups = [...sat.groups, req.group].sort();
        if (!group.satellites.includes(req.satellite)) group.satellites = [...group.satellites, req.satellite].sort();
        return { satellite: sat };
      },
      deleteGroup(req) {
        const group = groupOf(req.group);
        if (group.satellites.length && !req.force)
          throw new ConnectError(
            `group ${JSON.stringify(req.group)} is assigned to ${group.satellites.join(", ")}`,
            Code.FailedPrecondition,
          );
        fake.groups.delete(req.group);
        return {};
      },
      republishSatelliteStates(req) {
        for (const s of req.satellites) satelliteOf(s);
        return { queuedCount: req.satellites.length || fake.satellites.size };
      },
    });
    const heartbeat: Partial<ServiceImpl<typeof HeartbeatService>> = {
      getSatelliteStatus(req) {
        return { status: fake.statuses.get(req.satellite) ?? throwError(notFound("satellite", req.satellite)) };
      },
      listSatelliteStatuses: () => ({ statuses: [...fake.statuses.values()] }),
    };
    if (fake.drift) {
      const drift = fake.drift;
      heartbeat.getSatelliteDrift = (req) => ({
        drift: drift.get(req.satellite) ?? throwError(notFound("satellite", req.satellite)),
      });
      heartbeat.listSatelliteDrift = () => ({ satellites: [...drift.values()] });
    }
    router.service(HeartbeatService, heartbeat);
  };

  fake.connect = async (target) => {
    fake.targets.push(target);
    const transport = createRouterTransport(routes, {
      transport: { interceptors: authInterceptors(target) },
      router: {
        interceptors: [
          (next) => async (req) => {
            if (req.method.name !== "Login" && !fake.sessions.has(bearer(req.header.get("authorization")) ?? ""))
              throw new ConnectError("a session or admin credentials are required", Code.Unauthenticated);
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
export function fakeStatus(
  name: string,
  health: Health,
  errors: { reference: string; message: string }[] = [],
): SatelliteStatus {
  return create(SatelliteStatusSchema, {
    name,
    region: "eu-west",
    health,
    heartbeatIntervalSeconds: 30n,
    ...(health === Health.NEVER_SEEN
      ? {}
      : {
          lastSeenTime: timestampFromDate(new Date(FAKE_NOW.getTime() - 42_000)),
          latest: { satellite: name, imageCount: 2, errors, activity: "pass done" },
        }),
  });
}

/** A failing drift verdict: one image missing, one failing with a reason. */
export function fakeFailingDrift(name: string): SatelliteDrift {
  return create(SatelliteDriftSchema, {
    satellite: name,
    region: "eu-west",
    state: DriftState.FAILING,
    reason: "2 of 3 images drifted: apps/nginx:1.27 missing, apps/redis:7 error",
    health: Health.ONLINE,
    groups: ["web"],
    desiredStateDigest: `sha256:${"b".repeat(64)}`,
    reportedStateDigest: `sha256:${"b".repeat(64)}`,
    desiredImageCount: 3,
    imageDriftCount: 2,
    images: [
      {
        reference: "apps/nginx:1.27",
        kind: ImageDriftKind.MISSING,
        desiredDigest: `sha256:${"c".repeat(64)}`,
        groups: ["web"],
      },
      {
        reference: "apps/redis:7",
        kind: ImageDriftKind.ERROR,
        message: "manifest unknown\nupstream said 404",
        groups: ["web"],
      },
    ],
  });
}

export interface CapturedIo extends Io {
  out: string;
  err: string;
}

/** Io for run(): captures output, feeds `stdin`, keeps the session under `configDir`. */
export function captureIo(
  fake: FakeGroundControl,
  configDir: string,
  stdin = "",
  env: NodeJS.ProcessEnv = {},
): CapturedIo {
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
const plain = (a: Artifact) => ({
  repository: a.repository,
  tags: a.tags,
  ...(a.digest ? { digest: a.digest } : {}),
  ...(a.tagRegex ? { tagRegex: a.tagRegex } : {}),
  ...(a.semverRange ? { semverRange: a.semverRange } : {}),
  ...(a.newestCount !== undefined ? { newestCount: a.newestCount } : {}),
});
function throwError(error: Error): never {
  throw error;
}
