// Ground Control's configuration: flags win over environment variables, which win over
// defaults. Parsed once at start; every problem is reported before anything listens.
import { parseArgs } from "node:util";
import type { SecretHashParams } from "@harbor-satellite/rpc";
import type { ServerLimits } from "@harbor-satellite/serving";

export const SERVICE_NAMES = ["identity", "fleet", "registry", "heartbeat"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface GatewayConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /** Services this process serves itself. */
  services: ServiceName[];
  /** Services served by other processes, reached at these URLs (split deployment). */
  remotes: Partial<Record<ServiceName, string>>;
  /** Shared secret between Ground Control processes; random when a single process serves all. */
  internalToken?: string;
  adminPassword?: string;
  /**
   * The URL satellites reach Ground Control at (`https://gc.example.com`, `http://10.0.0.5:8080`):
   * their satellite-state URL starts with it. Unset: each enrolment answers with the scheme and
   * host that request reached Ground Control at.
   */
  publicUrl?: string;
  harbor: {
    url?: string;
    username?: string;
    password?: string;
    robotDurationDays: number;
    /**
     * Also push each satellite state to Harbor, for original Go satellites (whose
     * --harbor-registry-url sends every state URL to Harbor). Every robot can read every
     * satellite's state there. Read by the process that serves the registry service.
     */
    satelliteStateInHarbor: boolean;
    /**
     * Credential refresh (heartbeat service): rotate a satellite's robot secret once it is this
     * many seconds old (ROBOT_SECRET_MAX_AGE_SECONDS, 0 = off), or once less than this fraction of
     * its time to the robot's expiry remains (ROBOT_SECRET_ROTATE_REMAINING, default 0.5, 0 = off).
     */
    secretRotation: { maxAgeSeconds: number; remainingFraction: number };
  };
  trustDomain: string;
  /**
   * How often the fleet service resolves group tag filters (tag_regex, semver_range) against
   * Harbor again and republishes the groups whose tags changed (TAG_FILTER_POLL_SECONDS, default
   * 60, 0 = off). Read by the process that serves the fleet service.
   */
  tagFilterPollSeconds: number;
  /**
   * How long heartbeats are kept (HEARTBEAT_RETENTION_HOURS, default 168 = 7 days); each
   * satellite's latest is always kept. At 150,000 satellites every 30 s a day of history is
   * ~540 GB in PostgreSQL (bench/fleet/scale.ts). Read by the process that serves the heartbeat
   * service.
   */
  heartbeatRetentionHours: number;
  /**
   * HARBOR_WEBHOOK_SECRET: turns on POST /webhooks/harbor, which takes Harbor's artifact events
   * with this value as their Authorization header (Harbor's "Auth Header") and resolves the tag
   * filters of the groups naming the repository at once.
   */
  harborWebhookSecret?: string;
  /**
   * scrypt's cost for the hashes Ground Control stores (admin password, robot secrets). Never
   * parsed from flags or the environment: unset, the production default; test helpers pass a
   * cheap one (test-support.ts), since a stored hash carries its own parameters.
   */
  secretHash?: SecretHashParams;
  tls?: { certFile: string; keyFile: string };
  /** SPIFFE mTLS: Ground Control's SVID from this Workload API; satellites present theirs. */
  spiffe?: { endpointSocket: string };
  /** SPIRE Server API admin socket, for registering satellites; and what edge agents dial. */
  spire: { serverSocket?: string; serverAddress: string; serverPort: number };
  logLevel: string;
  /** Processes sharing the port (node:cluster); more than one needs PostgreSQL. */
  workers: number;
  /** The listener's limits set by flags or environment; the rest are packages/serving's defaults. */
  limits: Partial<ServerLimits>;
  /**
   * Prometheus metrics (and OTLP metrics when OTEL_EXPORTER_OTLP_ENDPOINT is set): `enabled` false
   * records nothing. `/metrics` is served on the gateway port, or, with `addr`, on a plaintext
   * listener of its own there (worker N of --workers on port + N - 1) and not on the gateway port.
   */
  metrics: { enabled: boolean; addr?: { host: string; port: number } };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const HELP = `Usage: ground-control [options]

Options (environment variable in brackets):
  --port N              listen port (PORT, default 8080)
  --host ADDR           listen address (HOST, default 0.0.0.0)
  --data-dir DIR        where the embedded database lives when DATABASE_URL is unset (DATA_DIR, default ./data)
  --workers N           processes sharing the port, one per core (GC_WORKERS, default 1; needs DATABASE_URL)
  --services LIST       services this process serves: identity,fleet,registry,heartbeat or all (GC_SERVICES, default all)
  --remote NAME=URL     a service served by another process, repeatable (GC_REMOTES, comma-separated)
  --tls-cert FILE       serve TLS with this certificate (TLS_CERT_FILE); needs --tls-key (TLS_KEY_FILE)
  --public-url URL      the URL satellites reach Ground Control at, e.g. https://gc.example.com or
                        http://10.0.0.5:8080; satellites read their state from it (GROUND_CONTROL_URL;
                        default: the scheme and host each satellite's enrolment request used)
  --spiffe-endpoint-socket URI
                        serve SPIFFE mTLS with the SVID from this Workload API, unix:///… or tcp://IP:port
                        (SPIFFE_ENDPOINT_SOCKET)
  --satellite-state-in-harbor
                        compatibility with original Go satellites, which read their satellite state from
                        Harbor: also push each satellite state there (SATELLITE_STATE_IN_HARBOR=true,
                        default false). Costs isolation: in Harbor every satellite's robot can read every
                        other satellite's state, so use it only while original satellites remain; with
                        --services, set it on the process serving registry
  --max-connections N   open connections at most (MAX_CONNECTIONS; default 16384, or 3/4 of the
                        open-file limit when that is lower)
  --max-connections-per-source N
                        open connections from one address (IPv6: one /64) at most
                        (MAX_CONNECTIONS_PER_SOURCE; default 1/8 of --max-connections, at least 64)
  --first-byte-timeout-ms MS
                        a new connection must send its first byte, or finish its TLS handshake,
                        within this (FIRST_BYTE_TIMEOUT_MS, default 10000)
  --header-timeout-ms MS
                        a request's headers must arrive within this (HEADER_TIMEOUT_MS, default 20000)
  --request-timeout-ms MS
                        an HTTP/1.1 request must arrive in full within this; 0 for none
                        (REQUEST_TIMEOUT_MS, default 120000)
  --idle-timeout-ms MS  a connection, HTTP/2 session or stream with no traffic for this long is
                        closed; also bounds keep-alive waits (IDLE_TIMEOUT_MS, default 120000)
  --metrics-addr HOST:PORT
                        serve Prometheus metrics (GET /metrics) on a plaintext listener of their own
                        instead of the gateway port, e.g. when that port is SPIFFE mTLS or public
                        (METRICS_ADDR; with --workers N, worker i listens on PORT + i - 1)
  --no-metrics          record and serve no metrics (METRICS_ENABLED=false)
  -h, --help            show this help

Other environment: DATABASE_URL, ADMIN_PASSWORD, HARBOR_URL, HARBOR_USERNAME, HARBOR_PASSWORD,
ROBOT_DURATION_DAYS (30), ROBOT_SECRET_MAX_AGE_SECONDS (0: off), ROBOT_SECRET_ROTATE_REMAINING (0.5),
TAG_FILTER_POLL_SECONDS (60: re-resolve group tag filters against Harbor; 0: off),
HEARTBEAT_RETENTION_HOURS (168: heartbeats kept; each satellite's latest always),
HARBOR_WEBHOOK_SECRET (turns on POST /webhooks/harbor for Harbor's artifact events),
TRUST_DOMAIN (harbor-satellite.local), SPIRE_SERVER_SOCKET,
SPIRE_SERVER_ADDRESS (spire-server), SPIRE_SERVER_PORT (8081), GC_INTERNAL_TOKEN, LOG_LEVEL (info),
OTEL_EXPORTER_OTLP_ENDPOINT.`;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): GatewayConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      services: { type: "string" },
      remote: { type: "string", multiple: true },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "spiffe-endpoint-socket": { type: "string" },
      "public-url": { type: "string" },
      "satellite-state-in-harbor": { type: "boolean" },
      workers: { type: "string" },
      "max-connections": { type: "string" },
      "max-connections-per-source": { type: "string" },
      "first-byte-timeout-ms": { type: "string" },
      "header-timeout-ms": { type: "string" },
      "request-timeout-ms": { type: "string" },
      "idle-timeout-ms": { type: "string" },
      "metrics-addr": { type: "string" },
      "no-metrics": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const services = parseServices(values.services ?? env.GC_SERVICES ?? "all");
  const remotes = parseRemotes(values.remote ?? (env.GC_REMOTES ? env.GC_REMOTES.split(",") : []));
  for (const name of Object.keys(remotes) as ServiceName[]) {
    if (services.includes(name)) throw new ConfigError(`service ${name} is both served here and remote`);
  }
  const certFile = values["tls-cert"] ?? env.TLS_CERT_FILE;
  const keyFile = values["tls-key"] ?? env.TLS_KEY_FILE;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError("TLS needs both a certificate and a key");
  const spiffeSocket = values["spiffe-endpoint-socket"] ?? env.SPIFFE_ENDPOINT_SOCKET;
  if (spiffeSocket && certFile)
    throw new ConfigError("choose SPIFFE mTLS (SPIFFE_ENDPOINT_SOCKET) or a TLS certificate file, not both");
  const workers = parsePositiveInt("--workers", values.workers ?? env.GC_WORKERS ?? "1");
  if (workers > 1 && !env.DATABASE_URL)
    throw new ConfigError("--workers above 1 needs DATABASE_URL: the embedded database belongs to one process");
  const split = Object.keys(remotes).length > 0 || services.length < SERVICE_NAMES.length;
  if (split && !env.GC_INTERNAL_TOKEN)
    throw new ConfigError("running services as separate processes needs GC_INTERNAL_TOKEN, shared by all of them");
  return {
    host: values.host ?? env.HOST ?? "0.0.0.0",
    port: parsePort(values.port ?? env.PORT ?? "8080"),
    dataDir: values["data-dir"] ?? env.DATA_DIR ?? "./data",
    databaseUrl: env.DATABASE_URL || undefined,
    services,
    remotes,
    internalToken: env.GC_INTERNAL_TOKEN || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    publicUrl: parsePublicUrl(values["public-url"] ?? env.GROUND_CONTROL_URL),
    harbor: {
      url: env.HARBOR_URL?.replace(/\/+$/, "") || undefined,
      username: env.HARBOR_USERNAME || undefined,
      password: env.HARBOR_PASSWORD || undefined,
      robotDurationDays: parsePositiveInt("ROBOT_DURATION_DAYS", env.ROBOT_DURATION_DAYS ?? "30"),
      satelliteStateInHarbor:
        values["satellite-state-in-harbor"] ?? parseBoolean("SATELLITE_STATE_IN_HARBOR", env.SATELLITE_STATE_IN_HARBOR),
      secretRotation: parseSecretRotation(env),
    },
    trustDomain: env.TRUST_DOMAIN || "harbor-satellite.local",
    tagFilterPollSeconds: parseSeconds("TAG_FILTER_POLL_SECONDS", env.TAG_FILTER_POLL_SECONDS ?? "60"),
    heartbeatRetentionHours: parsePositiveInt("HEARTBEAT_RETENTION_HOURS", env.HEARTBEAT_RETENTION_HOURS ?? "168"),
    harborWebhookSecret: env.HARBOR_WEBHOOK_SECRET || undefined,
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    spiffe: spiffeSocket ? { endpointSocket: spiffeSocket } : undefined,
    spire: {
      serverSocket: env.SPIRE_SERVER_SOCKET || undefined,
      serverAddress: env.SPIRE_SERVER_ADDRESS || "spire-server",
      serverPort: parsePort(env.SPIRE_SERVER_PORT ?? "8081"),
    },
    logLevel: env.LOG_LEVEL || "info",
    workers,
    limits: parseLimits(values, env),
    metrics: parseMetrics(
      values["metrics-addr"] ?? (env.METRICS_ADDR || undefined),
      !values["no-metrics"] && parseBoolean("METRICS_ENABLED", env.METRICS_ENABLED || "true"),
    ),
  };
}

/** ROBOT_SECRET_MAX_AGE_SECONDS (whole seconds, 0 = off) and ROBOT_SECRET_ROTATE_REMAINING (0 ≤ f < 1). */
function parseSecretRotation(env: NodeJS.ProcessEnv): GatewayConfig["harbor"]["secretRotation"] {
  const age = (env.ROBOT_SECRET_MAX_AGE_SECONDS ?? "0").trim();
  const maxAgeSeconds = age === "0" ? 0 : parsePositiveInt("ROBOT_SECRET_MAX_AGE_SECONDS", age);
  const raw = (env.ROBOT_SECRET_ROTATE_REMAINING ?? "0.5").trim();
  const remainingFraction = /^(0|0?\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(remainingFraction >= 0 && remainingFraction < 1))
    throw new ConfigError(
      `ROBOT_SECRET_ROTATE_REMAINING must be a fraction from 0 (off) to below 1, e.g. 0.5, got ${JSON.stringify(raw)}`,
    );
  return { maxAgeSeconds, remainingFraction };
}

/** `HOST:PORT` or `[v6]:PORT` for the metrics listener; `:PORT` means all interfaces. */
function parseMetrics(addr: string | undefined, enabled: boolean): GatewayConfig["metrics"] {
  if (!addr || !enabled) return { enabled };
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535)
    throw new ConfigError(`--metrics-addr (METRICS_ADDR) must be HOST:PORT, got ${JSON.stringify(addr)}`);
  return { enabled, addr: { host: match[1] ?? (match[2] || "0.0.0.0"), port } };
}

/** Each limit: its flag, its environment variable, its field, and whether 0 ("none") is allowed. */
const LIMIT_SETTINGS = [
  ["max-connections", "MAX_CONNECTIONS", "maxConnections", false],
  ["max-connections-per-source", "MAX_CONNECTIONS_PER_SOURCE", "maxConnectionsPerSource", false],
  ["first-byte-timeout-ms", "FIRST_BYTE_TIMEOUT_MS", "firstByteMs", false],
  ["header-timeout-ms", "HEADER_TIMEOUT_MS", "headersMs", false],
  ["request-timeout-ms", "REQUEST_TIMEOUT_MS", "requestMs", true],
  ["idle-timeout-ms", "IDLE_TIMEOUT_MS", "idleMs", false],
] as const satisfies readonly (readonly [string, string, keyof ServerLimits, boolean])[];

/** The limits given by flag or environment (flag first); unset ones are left to the defaults. */
function parseLimits(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Partial<ServerLimits> {
  const limits: Partial<ServerLimits> = {};
  for (const [flag, variable, field, zeroAllowed] of LIMIT_SETTINGS) {
    const raw = (values[flag] as string | undefined) ?? (env[variable] || undefined);
    if (raw === undefined) continue;
    limits[field] = zeroAllowed && raw.trim() === "0" ? 0 : parsePositiveInt(`--${flag} (${variable})`, raw);
  }
  if (
    limits.maxConnections !== undefined &&
    limits.maxConnectionsPerSource !== undefined &&
    limits.maxConnectionsPerSource > limits.maxConnections
  ) {
    throw new ConfigError(
      `--max-connections-per-source (${limits.maxConnectionsPerSource}) cannot exceed --max-connections (${limits.maxConnections})`,
    );
  }
  return limits;
}

/** An origin only: OCI clients address a registry at the root of its host, so no path is possible. */
function parsePublicUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`GROUND_CONTROL_URL ${JSON.stringify(value)} is not a URL: want http(s)://host[:port]`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ConfigError(`GROUND_CONTROL_URL ${JSON.stringify(value)} must start with http:// or https://`);
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    throw new ConfigError(
      `GROUND_CONTROL_URL ${JSON.stringify(value)} must be only scheme, host and port (satellites read their state at <url>/v2/…)`,
    );
  }
  return url.origin;
}

/** Unset or empty is false; anything but true/false/1/0 is a mistake worth stopping for. */
function parseBoolean(name: string, value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`port ${JSON.stringify(value)} is not a port number (0-65535)`);
  return port;
}

function parsePositiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** Whole seconds, 0 allowed (off). */
function parseSeconds(name: string, value: string): number {
  const trimmed = value.trim();
  return trimmed === "0" ? 0 : parsePositiveInt(name, trimmed);
}

function parseServices(value: string): ServiceName[] {
  if (value === "all") return [...SERVICE_NAMES];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name))
      throw new ConfigError(`unknown service ${JSON.stringify(name)}; known: ${SERVICE_NAMES.join(", ")}`);
  }
  if (names.length === 0) throw new ConfigError("--services needs at least one service");
  return names as ServiceName[];
}

function parseRemotes(entries: string[]): Partial<Record<ServiceName, string>> {
  const remotes: Partial<Record<ServiceName, string>> = {};
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    const name = entry.slice(0, eq) as ServiceName;
    const url = entry.slice(eq + 1);
    if (eq < 1 || !(SERVICE_NAMES as readonly string[]).includes(name))
      throw new ConfigError(
        `--remote ${JSON.stringify(entry)}: want NAME=URL with NAME one of ${SERVICE_NAMES.join(", ")}`,
      );
    if (!/^https?:\/\/[^/]+\/?$/.test(url))
      throw new ConfigError(`--remote ${name}: ${JSON.stringify(url)} is not an http(s)://host:port URL`);
    remotes[name] = url.replace(/\/$/, "");
  }
  return remotes;
}
