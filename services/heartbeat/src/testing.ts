// Test helpers shared by this package's unit and integration tests (not exported).
import { createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { configs, satellites, type Database } from "@harbor-satellite/db";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { callerKey, errorMappingInterceptor, type Caller } from "@harbor-satellite/rpc";
import { createLogger } from "@harbor-satellite/telemetry";
import type { HeartbeatRow } from "./heartbeat-row.js";
import type { HeartbeatModule } from "./index.js";

export const silentLogger = createLogger({ name: "heartbeat-test", level: "silent" });

/** Inserts satellites (and the `default` config they need) directly; returns their ids by name. */
export async function seedSatellites(
  db: Database,
  names: readonly string[],
  region = "default",
): Promise<Map<string, number>> {
  let [cfg] = await db.select({ id: configs.id }).from(configs).limit(1);
  if (!cfg)
    [cfg] = await db
      .insert(configs)
      .values({ name: "default", config: { app_config: {} } })
      .returning({ id: configs.id });
  const rows = await db
    .insert(satellites)
    .values(names.map((name) => ({ name, region, configId: cfg.id })))
    .returning({ id: satellites.id, name: satellites.name });
  return new Map(rows.map((r) => [r.name, r.id]));
}

const CALLER_HEADER = "x-test-caller";

/** Stands in for the gateway: takes the caller from a test header, maps domain errors once. */
const testCaller: Interceptor = (next) => (req) => {
  const raw = req.header.get(CALLER_HEADER);
  if (raw) req.contextValues.set(callerKey, JSON.parse(raw) as Caller);
  return next(req);
};

/** An in-memory client of the module's routes, calling as `caller`. */
export function clientAs(module: HeartbeatModule, caller: Caller): Client<typeof HeartbeatService> {
  const transport = createRouterTransport((router) => module.routes(router), {
    router: { interceptors: [errorMappingInterceptor(), testCaller] },
    transport: {
      interceptors: [(next) => (req) => (req.header.set(CALLER_HEADER, JSON.stringify(caller)), next(req))],
    },
  });
  return createClient(HeartbeatService, transport);
}

export const admin: Caller = { kind: "admin", username: "admin" };
export const satellite = (name: string): Caller => ({ kind: "satellite", name, via: "robot" });

/** A clock tests move by hand. */
export function manualClock(start = new Date("2026-01-01T00:00:00Z")): {
  now: () => Date;
  advance(ms: number): void;
  set(d: Date): void;
} {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms), set: (d) => void (t = d.getTime()) };
}

/** A validated heartbeat row as the writer receives it: a 30 s satellite with nothing to report, plus `fields`. */
export function heartbeatRow(fields: Partial<HeartbeatRow> = {}): HeartbeatRow {
  return {
    name: "",
    reportedAt: null,
    activity: "",
    stateReportInterval: "@every 00h00m30s",
    intervalSeconds: 30,
    stateDigest: "",
    configDigest: "",
    cpuPercent: 0,
    memoryUsedBytes: 0,
    storageUsedBytes: 0,
    lastSyncDurationMs: 0,
    imageCount: 0,
    cachedImages: [],
    errors: [],
    ...fields,
  };
}
