// Several Ground Control processes sharing one port (node:cluster), so a machine's cores all
// serve rpcs: one Node event loop tops out near 4,000 heartbeats/s. The primary migrates the
// database and creates the admin once, then forks the workers, restarts one that dies, and
// stops them all on a signal. Background jobs are safe to run in every worker: the outbox uses
// SKIP LOCKED claims and retention an advisory lock.
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import { openDatabase } from "@harbor-satellite/db";
import { ensureAdminUser } from "@harbor-satellite/identity";
import type { Logger } from "@harbor-satellite/telemetry";
import type { GatewayConfig } from "./config.js";

const RESTART_DELAY_MS = 1_000;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

export async function runClusterPrimary(config: GatewayConfig, logger: Logger): Promise<number> {
  const database = await openDatabase({ url: config.databaseUrl });
  try {
    if (config.services.includes("identity")) await ensureAdminUser(database.db, config.adminPassword);
  } finally {
    await database.close();
  }
  let stopping = false;
  // Each worker knows its place (GC_WORKER_INDEX, kept by its replacement): with --metrics-addr it
  // serves metrics on a port of its own, and only the first reports fleet-wide gauges.
  const indexes = new Map<Worker, number>();
  const fork = (index: number) => indexes.set(cluster.fork({ GC_WORKER_INDEX: String(index) }), index);
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) return;
    logger.error({ worker: worker.process.pid, code, signal }, "worker died; starting another");
    const index = indexes.get(worker) ?? 0;
    indexes.delete(worker);
    setTimeout(() => fork(index), RESTART_DELAY_MS).unref();
  });
  for (let i = 0; i < config.workers; i++) fork(i);
  logger.info({ workers: config.workers, port: config.port }, "ground control workers starting");
  await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  stopping = true;
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
  await Promise.all(
    workers.map(async (worker) => {
      const exited = once(worker, "exit");
      // Disconnects the IPC channel (which would keep the worker alive), then signals it; the
      // worker then stops gracefully like a single process does.
      worker.kill("SIGTERM");
      await exited;
    }),
  );
  return 0;
}
