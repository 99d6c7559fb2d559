// The agent's command line (flags win over the original's environment variables), checked
// before anything starts: every mistake is a UsageError naming the flag.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SpiffeId, workloadEndpointTarget, SPIFFE_ENDPOINT_SOCKET_ENV } from "@harbor-satellite/spiffe";
import { UsageError } from "../flags/usage-error.js";
import { parseAddr } from "../flags/flag-values.js";
import {
  METRICS_FLAGS_HELP,
  METRICS_FLAG_OPTIONS,
  parseMetricsFlags,
  type MetricsFlags,
} from "../flags/metrics-flags.js";
import {
  REGISTRY_FLAGS_HELP,
  REGISTRY_FLAG_OPTIONS,
  parseRegistryFlags,
  type RegistryFlags,
} from "../flags/registry-flags.js";
import { LOG_LEVELS, type LogLevel } from "../config/satellite-config.js";
import { MAX_EVERY_MS, MIN_EVERY_MS, parseDuration } from "../config/schedule.js";
import {
  RUNTIME_FLAGS_HELP,
  RUNTIME_FLAG_OPTIONS,
  parseRuntimeFlags,
  type RuntimeFlags,
} from "../flags/runtime-flags.js";

export const DEFAULT_REGISTRY_ADDR = "0.0.0.0:8585";
export const DEFAULT_DATA_DIR = "./satellite-data";
export const DEFAULT_SCRUB_INTERVAL = "24h";
export const DEFAULT_SCRUB_RATE_MBPS = 50;

export const AGENT_HELP = `Usage: satellite --ground-control-url URL (--token-file FILE | --spiffe-enabled [--spiffe-endpoint-socket unix:///…]) [options]

Enrols with Ground Control (once), then replicates its groups' images into the local registry,
reports heartbeats, and serves the registry throughout. Environment variables in brackets.

  --ground-control-url URL       Ground Control (GROUND_CONTROL_URL)
  --token-file FILE              single-use ZTR token from IssueZtrToken, read from FILE (trimmed)
  --token T                      the same on the command line, where every user of the machine sees it
                                 in ps; prefer --token-file or the environment (SATELLITE_TOKEN, TOKEN)
  --spiffe-enabled               enrol and heartbeat with this device's SVID over mTLS (SPIFFE_ENABLED)
  --spiffe-endpoint-socket URI   Workload API, unix:///… or tcp://IP:port (SPIFFE_ENDPOINT_SOCKET)
  --spiffe-expected-server-id ID Ground Control's SPIFFE ID (SPIFFE_EXPECTED_SERVER_ID;
                                 default spiffe://<our trust domain>/gc/main)
  --data-dir DIR                 registry content, config.json (sealed to this device) and state.json
                                 (SATELLITE_DATA_DIR, default ${DEFAULT_DATA_DIR})
  --registry-addr HOST:PORT      where the local registry listens (REGISTRY_ADDR, default ${DEFAULT_REGISTRY_ADDR}:
                                 the site's container runtimes must reach it). Read-only for clients:
                                 pushes and deletes get 405 UNSUPPORTED, unless write credentials are given
${REGISTRY_FLAGS_HELP}
                                 GET /metrics on the registry's port serves Prometheus metrics
${METRICS_FLAGS_HELP}
  --no-metrics                   record and serve no metrics (METRICS_ENABLED=false)
  --harbor-registry-url URL      reach Harbor at this scheme://host instead of the one Ground Control names
                                 (HARBOR_REGISTRY_URL)
${RUNTIME_FLAGS_HELP}
  --use-unsecure                 allow plain http:// to Ground Control beyond loopback, and plain HTTP to
                                 scheme-less Harbor URLs (USE_UNSECURE)
  --log-level LEVEL              trace|debug|info|warn|error|silent; pins it against config updates
                                 (LOG_LEVEL, default info)
  --shutdown-timeout DUR         how long SIGTERM waits for a running pass to abort (default 5s)
  --scrub-interval DUR           re-hash every stored blob this often, quarantine one that fails its digest
                                 and fetch it again in the next pass (SCRUB_INTERVAL, default ${DEFAULT_SCRUB_INTERVAL};
                                 0 or off: never); counted from the last scrub, across restarts
  --scrub-rate MBPS              the scrub's read rate in MB/s, so serving keeps the disk
                                 (SCRUB_RATE, default ${DEFAULT_SCRUB_RATE_MBPS})

Once enrolled, the token is no longer needed: a restart uses the saved config.`;

/** The runtime flags: --mirrors, --no-registry-fallback, --fallback-only, --no-runtime-restart. */
export interface AgentOptions extends RuntimeFlags {
  groundControlUrl?: string;
  token?: string;
  /** Where the token came from: "flag" means it is visible in ps (the agent warns). */
  tokenSource?: "flag" | "file" | "env";
  spiffe?: { endpointSocket: string; expectedServerId?: string };
  dataDir: string;
  registryHost: string;
  registryPort: number;
  /** True when the operator chose the address (the config artifact never moves it then). */
  registryAddrPinned: boolean;
  harborRegistryUrl?: string;
  useUnsecure: boolean;
  /** Set when the operator chose it (flag or LOG_LEVEL); the config artifact then never changes it. */
  logLevel?: LogLevel;
  shutdownTimeoutMs: number;
  /** The local registry's write credentials file and listener limits. */
  registry: RegistryFlags;
  /** Prometheus metrics: on the registry's port by default, or on --metrics-addr, or none. */
  metrics: MetricsFlags;
  /** The scheduled store scrub; undefined when turned off. */
  scrub?: { intervalMs: number; bytesPerSecond: number };
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const isLoopback = (hostname: string) =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/** How options reach files; a deployment check passes the files its containers would see. */
export interface OptionFiles {
  readFile(path: string): string;
}

const LOCAL_FILES: OptionFiles = { readFile: (path) => readFileSync(path, "utf8") };

export function parseAgentArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  files: OptionFiles = LOCAL_FILES,
): AgentOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        "ground-control-url": { type: "string" },
        token: { type: "string" },
        "token-file": { type: "string" },
        "spiffe-enabled": { type: "boolean" },
        "spiffe-endpoint-socket": { type: "string" },
        "spiffe-expected-server-id": { type: "string" },
        "data-dir": { type: "string" },
        "registry-addr": { type: "string" },
        "harbor-registry-url": { type: "string" },
        ...RUNTIME_FLAG_OPTIONS,
        "use-unsecure": { type: "boolean" },
        "log-level": { type: "string" },
        "shutdown-timeout": { type: "string", default: "5s" },
        "scrub-interval": { type: "string" },
        "scrub-rate": { type: "string" },
        ...REGISTRY_FLAG_OPTIONS,
        "metrics-addr": METRICS_FLAG_OPTIONS["metrics-addr"],
        "no-metrics": METRICS_FLAG_OPTIONS["no-metrics"],
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const useUnsecure = values["use-unsecure"] ?? TRUE.has((env.USE_UNSECURE ?? "").toLowerCase());
  const spiffeEnabled = values["spiffe-enabled"] ?? TRUE.has((env.SPIFFE_ENABLED ?? "").toLowerCase());
  const { token, tokenSource } = readToken(values.token, values["token-file"], env, files);
  if (token && spiffeEnabled) throw new UsageError("choose one way to enrol: --token or --spiffe-enabled, not both");
  if (values["spiffe-endpoint-socket"] !== undefined && !spiffeEnabled)
    throw new UsageError("--spiffe-endpoint-socket needs --spiffe-enabled");
  if (values["spiffe-expected-server-id"] !== undefined && !spiffeEnabled)
    throw new UsageError("--spiffe-expected-server-id needs --spiffe-enabled");

  const groundControlUrl = parseGroundControlUrl(values["ground-control-url"] ?? env.GROUND_CONTROL_URL, {
    useUnsecure,
    spiffe: spiffeEnabled,
  });
  let spiffe: AgentOptions["spiffe"];
  if (spiffeEnabled) {
    const endpointSocket = values["spiffe-endpoint-socket"] ?? env[SPIFFE_ENDPOINT_SOCKET_ENV];
    if (!endpointSocket)
      throw new UsageError(
        `--spiffe-enabled needs --spiffe-endpoint-socket unix:///… (or ${SPIFFE_ENDPOINT_SOCKET_ENV})`,
      );
    guard(() => workloadEndpointTarget(endpointSocket), "--spiffe-endpoint-socket");
    const expected = values["spiffe-expected-server-id"] ?? (env.SPIFFE_EXPECTED_SERVER_ID || undefined);
    if (expected !== undefined) guard(() => SpiffeId.parse(expected), "--spiffe-expected-server-id");
    spiffe = { endpointSocket, expectedServerId: expected };
  }

  const addrFlag = values["registry-addr"] ?? (env.REGISTRY_ADDR || undefined);
  const { host, port } = guard(() => parseAddr(addrFlag ?? DEFAULT_REGISTRY_ADDR), "--registry-addr");
  const harbor = values["harbor-registry-url"] ?? (env.HARBOR_REGISTRY_URL || undefined);
  if (
    harbor !== undefined &&
    !/^(https?:\/\/)?[a-z0-9.-]+(:\d{1,5})?\/?$|^(https?:\/\/)?\[[0-9a-f:]+\](:\d{1,5})?\/?$/i.test(harbor.trim())
  ) {
    throw new UsageError(`--harbor-registry-url must be [http(s)://]host[:port], got '${harbor}'`);
  }
  const level = values["log-level"] ?? (env.LOG_LEVEL || undefined);
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(`unknown --log-level '${level}' (${LOG_LEVELS.join("|")})`);
  return {
    groundControlUrl,
    token,
    tokenSource,
    spiffe,
    dataDir: values["data-dir"] ?? (env.SATELLITE_DATA_DIR || DEFAULT_DATA_DIR),
    registryHost: host,
    registryPort: port,
    registryAddrPinned: addrFlag !== undefined,
    harborRegistryUrl: harbor?.trim().replace(/\/+$/, ""),
    ...parseRuntimeFlags(values, env),
    useUnsecure,
    logLevel: level as LogLevel | undefined,
    shutdownTimeoutMs: parseShutdownTimeout(values["shutdown-timeout"]),
    registry: parseRegistryFlags(values, env),
    metrics: parseMetricsFlags(values, env, true),
    scrub: parseScrub(
      values["scrub-interval"] ?? (env.SCRUB_INTERVAL || undefined),
      values["scrub-rate"] ?? (env.SCRUB_RATE || undefined),
    ),
  };
}

/** --scrub-interval (a duration ≥ 1s, or 0/off) and --scrub-rate (MB/s > 0). */
export function parseScrub(
  interval = DEFAULT_SCRUB_INTERVAL,
  rate = String(DEFAULT_SCRUB_RATE_MBPS),
): AgentOptions["scrub"] {
  const mbps = Number(rate);
  if (rate.trim() === "" || !Number.isFinite(mbps) || mbps <= 0)
    throw new UsageError(`--scrub-rate must be a positive number of MB/s, got '${rate}'`);
  const text = interval.trim().toLowerCase();
  if (text === "0" || text === "off") return undefined;
  let intervalMs: number;
  try {
    intervalMs = parseDuration(text);
  } catch {
    throw new UsageError(`--scrub-interval must be a duration like 24h or 90m, or 0/off, got '${interval}'`);
  }
  if (intervalMs < MIN_EVERY_MS || intervalMs > MAX_EVERY_MS)
    throw new UsageError(`--scrub-interval must be between 1s and 366 days, got '${interval}'`);
  return { intervalMs, bytesPerSecond: mbps * 1e6 };
}

/** The ZTR token from --token-file (read once), --token, or SATELLITE_TOKEN / TOKEN. */
function readToken(
  flag: string | undefined,
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  files: OptionFiles,
): Pick<AgentOptions, "token" | "tokenSource"> {
  if (flag !== undefined && file !== undefined)
    throw new UsageError("choose one of --token and --token-file, not both");
  let token: string | undefined;
  let tokenSource: AgentOptions["tokenSource"];
  if (file !== undefined) {
    let text: string;
    try {
      text = files.readFile(file);
    } catch (error) {
      throw new UsageError(
        `--token-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    token = text.trim();
    if (token === "") throw new UsageError(`--token-file ${file} is empty`);
    tokenSource = "file";
  } else if (flag !== undefined) {
    token = flag.trim() || undefined;
    tokenSource = token ? "flag" : undefined;
  } else {
    token = (env.SATELLITE_TOKEN || env.TOKEN)?.trim() || undefined;
    tokenSource = token ? "env" : undefined;
  }
  if (token !== undefined && /\s/.test(token))
    throw new UsageError(`the token${file === undefined ? "" : ` in ${file}`} must be one word without whitespace`);
  return { token, tokenSource };
}

function parseGroundControlUrl(
  value: string | undefined,
  options: { useUnsecure: boolean; spiffe: boolean },
): string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new UsageError(`--ground-control-url is not a URL: '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError("--ground-control-url must be http:// or https://");
  if (url.username || url.password || url.search || url.hash)
    throw new UsageError("--ground-control-url must not carry credentials, a query or a fragment");
  if (options.spiffe && url.protocol !== "https:")
    throw new UsageError("SPIFFE mTLS needs an https:// --ground-control-url");
  if (url.protocol === "http:" && !options.useUnsecure && !isLoopback(url.hostname)) {
    throw new UsageError(
      `--ground-control-url ${url.origin} is plain HTTP: the token and robot secret would cross the network in clear; use https:// or pass --use-unsecure`,
    );
  }
  return url.toString().replace(/\/+$/, "");
}

function parseShutdownTimeout(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) throw new UsageError(`--shutdown-timeout must be a duration like 30s or 2m, got '${value}'`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] ?? "s"]!;
}

function guard<T>(fn: () => T, flag: string): T {
  try {
    return fn();
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message.replace(/^--addr /, "")}`);
  }
}
