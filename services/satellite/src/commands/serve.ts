// `satellite serve`: the local OCI registry alone, over a data dir.
//   satellite serve --data-dir DIR [--addr 127.0.0.1:8585] [--read-only]
//                   [--scrub-interval 24h --scrub-rate 32] [--gc-interval 6h] [--log-level info]
//   satellite serve --data-dir DIR --verify      re-hash the whole store, report, exit 1 if bad
// Runs until SIGINT or SIGTERM, then stops accepting, finishes what is in flight and releases
// the data dir.
import { once } from "node:events";
import { parseArgs } from "node:util";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import type { LevelWithSilent } from "pino";
import { UsageError, ExitCode } from "../cli/usage.js";
import { startRegistryServer } from "../registry/server.js";
import { openContentStore } from "../store/open-store.js";
import { verifyStore } from "../store/verify.js";

export const DEFAULT_SERVE_ADDR = "127.0.0.1:8585";

const HELP = `Usage: satellite serve --data-dir DIR [options]

  --data-dir DIR          content store (an OCI image layout; created when missing)
  --addr HOST:PORT        listen address (default ${DEFAULT_SERVE_ADDR}; port 0 picks one)
  --read-only             serve pulls only; pushes and deletes get 405
  --scrub-interval DUR    re-hash every blob this often in the background (e.g. 24h; off by default)
  --scrub-rate MBPS       read rate of the scrub in MB/s (default 32)
  --gc-interval DUR       collect garbage this often (e.g. 6h; off by default)
  --log-level LEVEL       trace|debug|info|warn|error|silent (default info; debug logs each request)
  --verify                re-hash the whole store and check every reference, print a summary, exit`;

export interface ServeConfig {
  dataDir: string;
  host: string;
  port: number;
  readOnly: boolean;
  scrubIntervalMs?: number;
  scrubBytesPerSecond: number;
  gcIntervalMs?: number;
  logLevel: LevelWithSilent;
  verify: boolean;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  const config = parseServeArgs(argv);
  if (config.verify) return verify(config.dataDir);
  const logger = createLogger({ name: "satellite-registry", level: config.logLevel });
  return serve(config, logger);
}

export function parseServeArgs(argv: string[]): ServeConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        "data-dir": { type: "string" },
        addr: { type: "string", default: DEFAULT_SERVE_ADDR },
        "read-only": { type: "boolean", default: false },
        "scrub-interval": { type: "string" },
        "scrub-rate": { type: "string", default: "32" },
        "gc-interval": { type: "string" },
        "log-level": { type: "string", default: process.env.LOG_LEVEL ?? "info" },
        verify: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values["data-dir"]) throw new UsageError("serve needs --data-dir DIR");
  const { host, port } = parseAddr(values.addr);
  const rate = Number(values["scrub-rate"]);
  if (!(rate > 0)) throw new UsageError(`--scrub-rate must be a positive number of MB/s, got '${values["scrub-rate"]}'`);
  const level = values["log-level"];
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)) throw new UsageError(`unknown --log-level '${level}'`);
  return {
    dataDir: values["data-dir"],
    host,
    port,
    readOnly: values["read-only"],
    scrubIntervalMs: values["scrub-interval"] === undefined ? undefined : parseDuration(values["scrub-interval"], "--scrub-interval"),
    scrubBytesPerSecond: rate * 1e6,
    gcIntervalMs: values["gc-interval"] === undefined ? undefined : parseDuration(values["gc-interval"], "--gc-interval"),
    logLevel: level as LevelWithSilent,
    verify: values.verify,
  };
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseAddr(addr: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new UsageError(`--addr must be HOST:PORT, got '${addr}'`);
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** `90s`, `15m`, `6h`, `1d`, or plain milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new UsageError(`${flag} must be a duration like 30s, 15m, 6h or 1d, got '${value}'`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[match[2] ?? "ms"] as number;
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new UsageError(`${flag} must be positive`);
  return ms;
}

async function verify(dataDir: string): Promise<number> {
  const report = await verifyStore(dataDir);
  for (const c of report.corrupt) process.stdout.write(`corrupt ${c.digest} (content hashes to ${c.actual})\n`);
  for (const m of report.missing) process.stdout.write(`missing ${m.digest} (referenced by ${m.referencedBy})\n`);
  for (const e of report.errors) process.stdout.write(`error ${e}\n`);
  process.stdout.write(
    `blobs=${report.blobs} bytes=${report.bytes} manifests=${report.manifests} corrupt=${report.corrupt.length} missing=${report.missing.length} errors=${report.errors.length} ok=${report.ok}\n`,
  );
  return report.ok ? ExitCode.Ok : ExitCode.Failure;
}

async function serve(config: ServeConfig, logger: Logger): Promise<number> {
  const store = await openContentStore({ root: config.dataDir, logger });
  const registry = await startRegistryServer({ store, logger, readOnly: config.readOnly, host: config.host, port: config.port });
  if (config.scrubIntervalMs !== undefined) store.startScrub({ intervalMs: config.scrubIntervalMs, bytesPerSecond: config.scrubBytesPerSecond });
  const gcTimer =
    config.gcIntervalMs === undefined
      ? undefined
      : setInterval(() => void store.collectGarbage().catch((error: unknown) => logger.warn({ err: error }, "garbage collection failed")), config.gcIntervalMs);
  logger.info({ url: registry.url, dataDir: store.root, readOnly: config.readOnly }, "registry listening");
  process.stdout.write(`satellite registry listening on ${registry.url}\n`);

  const [signal] = (await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")])) as [string];
  logger.info({ signal }, "shutting down");
  if (gcTimer) clearInterval(gcTimer);
  await registry.close();
  await store.close();
  return ExitCode.Ok;
}
