// Parses `satellite sync` flags into a typed config; every mistake is a UsageError.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import type { LevelWithSilent } from "pino";
import { UsageError } from "../flags/usage-error.js";
import { parseDesiredImage, parsePlatform, type DesiredImage, type PlatformFilter } from "../replication/index.js";
import { LOG_LEVELS } from "../config/log-levels.js";

export const SYNC_HELP = `Usage: satellite sync --once --upstream URL --image REPO:TAG [--image …] --data-dir DIR [options]

  --once                  run one replication pass and exit (the only mode of this command)
  --upstream URL          registry to copy from (http:// is plain HTTP), e.g. https://harbor.example.com
  --username U            upstream user (robot account)
  --password P            its password; SATELLITE_UPSTREAM_PASSWORD is read when this is absent
  --image REPO:TAG[@DIG]  an image to replicate; repeat for more. Images a previous pass stored
                          that are not listed are untagged (their blobs go at the next GC)
  --data-dir DIR          content store to write into (created when missing)
  --platform OS/ARCH[/V]  copy only this platform's manifest from multi-arch indexes and tag it
  --workers N             worker threads for layers over 32 MiB (default: cores, ${availableParallelism()})
  --connections N         connections to the upstream per thread (default 8)
  --ca-file PATH          also trust this CA (PEM) for the upstream's TLS certificate
  --insecure              accept any TLS certificate from the upstream
  --log-level LEVEL       trace|debug|info|warn|error|silent (default info; logs go to stderr)
  --config FILE           the satellite config whose edge policy to follow (sync windows, bandwidth
                          cap, require_signature); default: DIR/config.json when the agent saved one
  --ignore-window         sync now even outside the sync windows (the bandwidth cap still applies)
  --wait-for-window       outside the sync windows, wait for the next one to open, then sync

Prints one line per image, then: bytes=… blobs_copied=… blobs_skipped=… seconds=… mbps=…
(mbps is megabytes per second; refused=N too under require_signature). Exits 1 when any image
failed, naming it on stderr; 3 outside the sync windows (nothing fetched; or the pass stopped where
a window closed); 4 when images replicated but require_signature refuses them (not served).`;

export interface SyncConfig {
  upstream: string;
  username?: string;
  password?: string;
  images: DesiredImage[];
  dataDir: string;
  platform?: PlatformFilter;
  workers?: number;
  connections: number;
  caFile?: string;
  insecure: boolean;
  logLevel: LevelWithSilent;
  /** --config FILE: the satellite config to take the edge policy from. */
  configFile?: string;
  /** Outside the sync windows: exit (the default), wait for the next, or sync anyway. */
  outsideWindow: "exit" | "wait" | "ignore";
}

export function parseSyncArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SyncConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        once: { type: "boolean", default: false },
        upstream: { type: "string" },
        username: { type: "string" },
        password: { type: "string" },
        image: { type: "string", multiple: true, default: [] },
        "data-dir": { type: "string" },
        platform: { type: "string" },
        workers: { type: "string" },
        connections: { type: "string", default: "8" },
        "ca-file": { type: "string" },
        insecure: { type: "boolean", default: false },
        "log-level": { type: "string", default: env.LOG_LEVEL ?? "info" },
        config: { type: "string" },
        "ignore-window": { type: "boolean", default: false },
        "wait-for-window": { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.once) throw new UsageError("sync runs one pass and needs --once (the scheduled mode is the agent's)");
  if (!values.upstream) throw new UsageError("sync needs --upstream URL");
  if (!values["data-dir"]) throw new UsageError("sync needs --data-dir DIR");
  if (values.image.length === 0) throw new UsageError("sync needs at least one --image REPO:TAG");
  let url: URL;
  try {
    url = new URL(values.upstream);
  } catch {
    throw new UsageError(`--upstream is not a URL: '${values.upstream}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError("--upstream must be an http:// or https:// URL");
  if (url.username || url.password) throw new UsageError("put credentials in --username/--password, not in --upstream");
  const password = values.password ?? env.SATELLITE_UPSTREAM_PASSWORD;
  if ((values.username === undefined) !== (password === undefined))
    throw new UsageError("--username and --password go together");
  const level = values["log-level"];
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`unknown --log-level '${level}'`);
  if (values["ignore-window"] && values["wait-for-window"])
    throw new UsageError("choose one of --ignore-window and --wait-for-window");
  return {
    upstream: values.upstream,
    username: values.username,
    password,
    images: values.image.map((value) => guard(() => parseDesiredImage(value))),
    dataDir: values["data-dir"],
    platform: values.platform === undefined ? undefined : guard(() => parsePlatform(values.platform!)),
    workers: values.workers === undefined ? undefined : positiveInt("--workers", values.workers),
    connections: positiveInt("--connections", values.connections),
    caFile: values["ca-file"],
    insecure: values.insecure,
    logLevel: level as LevelWithSilent,
    configFile: values.config,
    outsideWindow: values["ignore-window"] ? "ignore" : values["wait-for-window"] ? "wait" : "exit",
  };
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

function guard<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
