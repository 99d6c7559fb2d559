// `satellite sync --once`: one replication pass without Ground Control. Opens the data dir, copies
// the listed images from the upstream, untags what an earlier pass stored and is no longer
// listed, prints one line per image and a summary as the last line, and exits 1 when any image
// failed. Logs (progress, errors) go to stderr as JSON; stdout carries only the report.
import { readFile } from "node:fs/promises";
import { pino, type LevelWithSilent, type Logger } from "pino";
import { createLogger } from "@harbor-satellite/telemetry/logger";
import { ExitCode } from "./exit-code.js";
import { UsageError } from "../flags/usage-error.js";
import {
  createReplicationEngine,
  readOwnedImages,
  writeOwnedImages,
  type ReplicationSummary,
} from "../replication/index.js";
import { openContentStore } from "../store/open-store.js";
import { SYNC_HELP, parseSyncArgs, type SyncConfig } from "./sync-args.js";

export async function run(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${SYNC_HELP}\n`);
    return ExitCode.Ok;
  }
  const config = parseSyncArgs(argv);
  // SIGTERM or SIGINT aborts the pass: copies in flight stop, their temp files go, the store
  // closes, and nothing half-written is visible. A second signal ends the process at once.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new InterruptedError(signal));
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  let summary: ReplicationSummary;
  try {
    summary = await syncOnce(config, interrupt.signal);
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    process.stderr.write(
      `satellite: sync interrupted by ${(interrupt.signal.reason as InterruptedError).signal}; what was copied is kept, the next pass copies the rest\n`,
    );
    return ExitCode.Failure;
  }
  if (interrupt.signal.aborted) {
    process.stdout.write(formatReport(summary));
    process.stderr.write(
      `satellite: sync interrupted by ${(interrupt.signal.reason as InterruptedError).signal}; what was copied is kept, the next pass copies the rest\n`,
    );
    return ExitCode.Failure;
  }
  process.stdout.write(formatReport(summary));
  for (const failure of summary.failed)
    process.stderr.write(
      `satellite: image ${failure.image} failed: ${failure.error?.cause instanceof Error ? failure.error.cause.message : "unknown error"}\n`,
    );
  return summary.failed.length > 0 ? ExitCode.Failure : ExitCode.Ok;
}

class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "InterruptedError";
  }
}

export async function syncOnce(config: SyncConfig, signal?: AbortSignal): Promise<ReplicationSummary> {
  const ca = config.caFile === undefined ? undefined : await readCaFile(config.caFile);
  const logger = syncLogger(config);
  const store = await openContentStore({ root: config.dataDir, logger });
  const engine = createReplicationEngine({ store, logger, workerThreads: config.workers });
  try {
    const owned = await readOwnedImages(store.root);
    const summary = await engine.replicate({
      upstream: {
        url: config.upstream,
        credentials:
          config.username !== undefined && config.password !== undefined
            ? { username: config.username, password: config.password }
            : undefined,
        maxConnections: config.connections,
        ca,
        insecureSkipVerify: config.insecure,
      },
      images: config.images,
      owned,
      platform: config.platform,
      signal,
    });
    await writeOwnedImages(store.root, summary.owned);
    return summary;
  } finally {
    await engine.close();
    await store.close();
  }
}

/**
 * JSON lines on stderr. The logger comes from the telemetry package's `./logger` entry, not its
 * index, which also loads the OpenTelemetry SDK (~0.5 s and ~40 MB) that a one-shot pass under a
 * 150 MB memory goal cannot afford.
 */
function syncLogger(config: SyncConfig): Logger {
  return createLogger({
    name: "satellite-sync",
    level: config.logLevel as LevelWithSilent,
    destination: pino.destination({ dest: 2, sync: true }),
  });
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`--ca-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** One line per image, then the summary line (always last). */
export function formatReport(summary: ReplicationSummary): string {
  const lines = summary.images.map(
    (r) =>
      `${r.status.padEnd(9)} ${r.image}${r.digest ? ` ${r.digest}` : ""}${r.status === "copied" ? ` blobs_copied=${r.blobsCopied} blobs_skipped=${r.blobsSkipped}` : ""}`,
  );
  const mbps = summary.seconds > 0 ? summary.bytes / 1e6 / summary.seconds : 0;
  lines.push(
    `bytes=${summary.bytes} blobs_copied=${summary.blobsCopied} blobs_skipped=${summary.blobsSkipped} seconds=${summary.seconds.toFixed(3)} mbps=${mbps.toFixed(1)}`,
  );
  return `${lines.join("\n")}\n`;
}
