// Part (c) of bench/fleet/scale.ts: heartbeats sent through the real path (the heartbeat load
// generator, bench/heartbeat/load.ts, its own process: robot Basic credentials, binary Connect
// over HTTP/1.1 keep-alive as satellites send them, 5 cached images per report) into Ground
// Control and its group-committed ingest. Each heartbeating satellite first sends one (the load generator's
// priming), then a closed loop runs for a few seconds. Bytes per row = growth of
// pg_total_relation_size('heartbeats') (table, TOAST, both indexes) / rows added. Then the real
// retention job (services/heartbeat/src/retention.ts) deletes everything but each satellite's
// latest report, timed, for the pruning rate it can sustain.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { Database } from "@harbor-satellite/db";
import { createLogger } from "@harbor-satellite/telemetry";
import { createRetentionJob } from "../../services/heartbeat/src/retention.js";

const LOAD = fileURLToPath(new URL("../heartbeat/load.ts", import.meta.url));

export interface GrowthFigures {
  rows: number;
  bytes: number;
  bytesPerRow: number;
  sendPerS: number;
  deleted: number;
  deletePerS: number;
}

async function numbers(db: Database): Promise<{ rows: number; bytes: number }> {
  const result = (await db.execute(
    sql`select count(*) as rows, pg_total_relation_size('heartbeats') as bytes from heartbeats`,
  )) as unknown as Iterable<{ rows: string; bytes: string }>;
  for (const row of result) return { rows: Number(row.rows), bytes: Number(row.bytes) };
  throw new Error("no row");
}

function runLoad(gcUrl: string, satellites: number, secret: string, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        LOAD,
        ...["--url", gcUrl, "--satellites", String(satellites), "--secret", secret],
        ...["--rate", "0", "--concurrency", "128", "--duration", String(seconds), "--warmup", "1"],
        ...["--connections", "4", "--protocol", "connect-h1", "--images", "5"],
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let last = "";
    createInterface({ input: child.stdout }).on("line", (line) => (last = line));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(last) : reject(new Error(`load generator exited ${code}`))));
  });
}

export async function measureHeartbeatGrowth(
  options: { db: Database; gcUrl: string; satellites: number; secret: string; seconds: number },
  log: (line: string) => void,
): Promise<GrowthFigures> {
  const { db } = options;
  const before = await numbers(db);
  const started = performance.now();
  const result = JSON.parse(await runLoad(options.gcUrl, options.satellites, options.secret, options.seconds)) as {
    errors: number;
  };
  const sendSeconds = (performance.now() - started) / 1000;
  if (result.errors > 0) throw new Error(`heartbeat load: ${result.errors} errors`);
  await db.execute(sql`vacuum analyze heartbeats`);
  const after = await numbers(db);
  const rows = after.rows - before.rows;
  const bytes = after.bytes - before.bytes;
  log(
    `heartbeats: ${rows} rows through the gateway in ${sendSeconds.toFixed(1)} s, table + indexes grew ${bytes} bytes`,
  );

  // Every row but each satellite's latest is older than a zero retention: what a backlog looks like.
  const job = createRetentionJob(db, createLogger({ name: "bench", level: "silent" }), () => new Date(), {
    retentionMs: 0,
  });
  const pruneStart = performance.now();
  let deleted = 0;
  for (let round = await job.runOnce(); ; round = await job.runOnce()) {
    deleted += round.deleted;
    if (!round.more) break;
  }
  const pruneSeconds = (performance.now() - pruneStart) / 1000;
  log(`retention job: ${deleted} rows deleted in ${pruneSeconds.toFixed(1)} s (rounds back to back, no pause)`);
  return {
    rows,
    bytes,
    bytesPerRow: bytes / rows,
    sendPerS: rows / sendSeconds,
    deleted,
    deletePerS: deleted / pruneSeconds,
  };
}
