// Part (b) of bench/fleet/scale.ts: the group assigned to 10,000 satellites changes (UpdateGroup
// through the gateway). Ground Control's outbox publisher then publishes the group state to
// Harbor (the emulator), records its new digest, queues the 10,000 satellite states listing it
// and publishes each (PublishSatelliteState: the artifact row Ground Control serves itself).
// Timed from the UpdateGroup call: until a sample of affected satellites, each polling its state
// endpoint with its own robot credentials as a satellite does, all see a new manifest; until the
// outbox is empty; and the check that every affected satellite's state row was rewritten.
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";
import type { AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { postgresCpuSeconds, processTreeCpuSeconds } from "../heartbeat/cpu.js";
import { satelliteName } from "../heartbeat/fleet.js";
import { BIG_GROUP, type FleetShape } from "./seed.js";

export interface RepublishFigures {
  affected: number;
  rewritten: number;
  /** Seconds from UpdateGroup until every sampled satellite read a new state. */
  sampleSeenS: number;
  /** Seconds from UpdateGroup until the outbox held no row. */
  drainedS: number;
  statesPerS: number;
  /** CPU of Ground Control's process and of PostgreSQL per state, in ms (the machine-independent figure). */
  gcCpuMsPerState: number;
  pgCpuMsPerState: number;
}

async function scalar(db: Database, query: ReturnType<typeof sql>): Promise<number> {
  const result = (await db.execute(query)) as unknown as Iterable<{ n: string | number }>;
  for (const row of result) return Number(row.n);
  return NaN;
}

/** The digest `latest` resolves to at Ground Control's state endpoint for one satellite ("" on 404). */
async function stateDigest(gcUrl: string, satellite: string, secret: string): Promise<string> {
  const res = await fetch(`${gcUrl}/v2/satellite/satellite-state/${satellite}/state/manifests/latest`, {
    method: "HEAD",
    headers: {
      authorization: `Basic ${Buffer.from(`robot$${satellite}:${secret}`).toString("base64")}`,
      accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    },
  });
  if (res.status === 404) return "";
  if (!res.ok) throw new Error(`state of ${satellite}: HTTP ${res.status}`);
  return res.headers.get("docker-content-digest") ?? "";
}

export async function changeBigGroup(
  options: {
    db: Database;
    admin: AdminClients;
    gcUrl: string;
    secret: string;
    shape: FleetShape;
    version: number;
    gcPid: number;
    postmasterPid: number;
  },
  log: (line: string) => void,
): Promise<RepublishFigures> {
  const { db, admin, gcUrl, secret, shape } = options;
  const affected = Math.ceil(shape.satellites / shape.bigEvery);
  // 20 affected satellites spread over the fleet, polling as satellites do (here every 500 ms, so
  // the polling stays a small part of Ground Control's CPU).
  const sample = Array.from({ length: 20 }, (_, i) => satelliteName(Math.floor((i * affected) / 20) * shape.bigEvery));
  const before = new Map<string, string>();
  for (const s of sample) before.set(s, await stateDigest(gcUrl, s, secret));
  const dbStart = await scalar(db, sql`select extract(epoch from clock_timestamp()) * 1000 as n`);
  const cpu = () => ({ gc: processTreeCpuSeconds(options.gcPid), pg: postgresCpuSeconds(options.postmasterPid) });
  const cpuBefore = cpu();
  const started = performance.now();
  await admin.fleet.updateGroup({
    group: BIG_GROUP,
    artifacts: [{ repository: "library/base", tags: [`v${options.version}`], type: "image" }],
  });
  let sampleSeenS = NaN;
  let drainedS = NaN;
  const waiting = new Set(sample);
  let lastLog = started;
  let cpuAfter = cpuBefore;
  while (Number.isNaN(sampleSeenS) || Number.isNaN(drainedS)) {
    if (performance.now() - started > 600_000) throw new Error("no convergence within 10 minutes");
    await new Promise((r) => setTimeout(r, 500));
    for (const s of [...waiting]) if ((await stateDigest(gcUrl, s, secret)) !== before.get(s)) waiting.delete(s);
    const elapsed = (performance.now() - started) / 1000;
    if (waiting.size === 0 && Number.isNaN(sampleSeenS)) sampleSeenS = elapsed;
    const pending = await scalar(db, sql`select count(*) as n from outbox`);
    if (pending === 0 && Number.isNaN(drainedS)) {
      drainedS = elapsed;
      cpuAfter = cpu();
    }
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      log(
        `  ${elapsed.toFixed(1)} s: ${pending} outbox rows, ${sample.length - waiting.size}/${sample.length} sampled states new`,
      );
    }
  }
  const rewritten = await scalar(
    db,
    sql`select count(*) as n from satellite_state_artifacts a
        join satellites s on s.name = a.satellite
        join satellite_groups sg on sg.satellite_id = s.id
        join groups g on g.id = sg.group_id and g.name = ${BIG_GROUP}
        where extract(epoch from a.updated_at) * 1000 >= ${dbStart}`,
  );
  return {
    affected,
    rewritten,
    sampleSeenS,
    drainedS,
    statesPerS: rewritten / drainedS,
    gcCpuMsPerState: ((cpuAfter.gc - cpuBefore.gc) * 1000) / affected,
    pgCpuMsPerState: ((cpuAfter.pg - cpuBefore.pg) * 1000) / affected,
  };
}
