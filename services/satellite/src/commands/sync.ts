// `satellite sync --once`: one replication pass without Ground Control. Opens the data dir, copies
// the listed images from the upstream, untags what an earlier pass stored and is no longer
// listed, prints one line per image and a summary as the last line, and exits 1 when any image
// failed. It follows the satellite config's edge policy as the agent does (sync windows,
// bandwidth cap, require_signature; exit codes 3 and 4). Logs (progress, errors) go to stderr as
// JSON; stdout carries only the report.
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
import type { Clock } from "../scheduler/clock.js";
import { openContentStore } from "../store/open-store.js";
import { loadEdgePolicy, signaturePolicyOf } from "./edge-policy.js";
import { SYNC_HELP, parseSyncArgs, type SyncConfig } from "./sync-args.js";
import { refusedImages, stoppedByWindow, syncGateFor, windowOpen, type Refusal } from "./sync-policy.js";

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
  const interrupted = () =>
    process.stderr.write(
      `satellite: sync interrupted by ${(interrupt.signal.reason as InterruptedError).signal}; what was copied is kept, the next pass copies the rest\n`,
    );
  let outcome: SyncOutcome;
  try {
    outcome = await syncOnce(config, interrupt.signal, {
      onWait: (at) =>
        process.stderr.write(`satellite: outside sync window; waiting for the next window at ${iso(at)}\n`),
    });
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    interrupted();
    return ExitCode.Failure;
  }
  if (outcome.kind === "outside-window") {
    process.stderr.write(
      `satellite: ${outcome.message}; nothing fetched (--wait-for-window waits for it, --ignore-window syncs now)\n`,
    );
    return ExitCode.OutsideSyncWindow;
  }
  process.stdout.write(formatReport(outcome.summary, outcome.refused));
  if (interrupt.signal.aborted) {
    interrupted();
    return ExitCode.Failure;
  }
  for (const failure of outcome.summary.failed)
    process.stderr.write(
      `satellite: image ${failure.image} failed: ${failure.error?.cause instanceof Error ? failure.error.cause.message : "unknown error"}\n`,
    );
  for (const refusal of outcome.refused) process.stderr.write(`satellite: image ${refusal.image} ${refusal.message}\n`);
  return exitCodeOf(outcome);
}

class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "InterruptedError";
  }
}

export type SyncOutcome =
  /** A closed window (no --ignore-window or --wait-for-window): nothing was fetched. */
  | { kind: "outside-window"; message: string }
  | {
      kind: "synced";
      summary: ReplicationSummary;
      /** Replicated images require_signature refuses (stored, not served). */
      refused: Refusal[];
    };

/** 1 for a real failure; 3 when only a closing window stopped images; 4 for refused signatures. */
export function exitCodeOf(outcome: SyncOutcome): number {
  if (outcome.kind === "outside-window") return ExitCode.OutsideSyncWindow;
  const { failed } = outcome.summary;
  if (failed.some((f) => !stoppedByWindow(f.error))) return ExitCode.Failure;
  if (failed.length > 0) return ExitCode.OutsideSyncWindow;
  return outcome.refused.length > 0 ? ExitCode.SignatureRefused : ExitCode.Ok;
}

export interface SyncDeps {
  clock?: Clock;
  /** Outside a window with --wait-for-window: when the next one opens. */
  onWait?: (nextOpenAt: number) => void;
  /** Reads a sealed DIR/config.json (default: this device's fingerprint). */
  fingerprint?: () => Promise<string>;
}

/**
 * One pass under the edge policy of --config FILE or DIR/config.json (edge-policy.ts): outside
 * the sync windows nothing is fetched (or, asked to, it waits); layer copies share the bandwidth
 * cap; with require_signature the images whose signature does not verify are reported.
 */
export async function syncOnce(config: SyncConfig, signal?: AbortSignal, deps: SyncDeps = {}): Promise<SyncOutcome> {
  const ca = config.caFile === undefined ? undefined : await readCaFile(config.caFile);
  const logger = syncLogger(config);
  const policy = await loadEdgePolicy({
    configFile: config.configFile,
    dataDir: config.dataDir,
    fingerprint: deps.fingerprint,
  });
  if (policy) logger.info({ config: policy.source }, "following the edge policy of the satellite config");
  const gate = syncGateFor(policy?.sync, config.outsideWindow, deps.clock);
  try {
    if (!(await windowOpen(gate, config.outsideWindow, signal, deps.onWait)))
      return { kind: "outside-window", message: gate.describe() ?? "outside sync window" };
    const store = await openContentStore({ root: config.dataDir, logger });
    const engine = createReplicationEngine({ store, logger, workerThreads: config.workers, gate });
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
      const refused = await refusedImages(signaturePolicyOf(policy, store, logger), summary);
      return { kind: "synced", summary, refused };
    } finally {
      await engine.close();
      await store.close();
    }
  } finally {
    gate.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

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

/**
 * One line per image (` not_served=<reason code>` after one require_signature refuses), then the
 * summary line (always last; ` refused=N` when a signature policy refused any).
 */
export function formatReport(summary: ReplicationSummary, refused: readonly Refusal[] = []): string {
  const reasons = new Map(refused.map((r) => [r.image, r.reason]));
  const lines = summary.images.map(
    (r) =>
      `${r.status.padEnd(9)} ${r.image}${r.digest ? ` ${r.digest}` : ""}${r.status === "copied" ? ` blobs_copied=${r.blobsCopied} blobs_skipped=${r.blobsSkipped}` : ""}${reasons.has(r.image) ? ` not_served=${reasons.get(r.image)}` : ""}`,
  );
  const mbps = summary.seconds > 0 ? summary.bytes / 1e6 / summary.seconds : 0;
  lines.push(
    `bytes=${summary.bytes} blobs_copied=${summary.blobsCopied} blobs_skipped=${summary.blobsSkipped} seconds=${summary.seconds.toFixed(3)} mbps=${mbps.toFixed(1)}${refused.length > 0 ? ` refused=${refused.length}` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
