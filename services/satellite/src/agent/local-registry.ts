// The agent's local registry: serves the content store from the first moment of the process to
// the last. A config-state artifact may move it (`zot_config.http.address`/`port`, the original's
// registry settings) unless the operator pinned --registry-addr: the new listener is opened
// first, and the old one is closed only once the new one is up, so pulls never find nothing
// listening. A failed move keeps the old listener. Every listener it opens has the same write
// access (read-only unless write credentials were given), read credentials, TLS and limits.
import type { ServerLimits } from "@harbor-satellite/serving";
import type { Metrics } from "@harbor-satellite/telemetry/metrics";
import type { Logger } from "pino";
import { startRegistryServer, type RegistryServer } from "../registry/server.js";
import type { UploadSessionLimits } from "../registry/upload-sessions.js";
import type { WriteAccess } from "../registry/write-access.js";
import type { WriteCredentials } from "../registry/write-credentials.js";
import type { ServingStore } from "../store/serving-store.js";
import type { ManifestGate } from "../registry/context.js";

export interface LocalRegistry {
  /** `http://host:port` (or `https://`) as bound. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Listens on host:port instead (no-op when unchanged); throws and keeps the old one on failure. */
  moveTo(host: string, port: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface LocalRegistryOptions {
  store: ServingStore;
  logger: Logger;
  host: string;
  port: number;
  writeAccess: WriteAccess;
  /** Reads need these users' (or the writers') Basic credentials. */
  readCredentials?: WriteCredentials;
  /** HTTPS instead of plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  limits?: Partial<ServerLimits>;
  uploads?: UploadSessionLimits;
  /** Serve /metrics on the registry's port (it follows a move). */
  metrics?: Metrics;
  /** Told of every manifest served by GET (the pull log). */
  onManifestPulled?: (repository: string, digest: string) => void;
  /** May refuse to serve a manifest (the signature policy); follows a move. */
  manifestGate?: ManifestGate;
}

export async function startLocalRegistry(options: LocalRegistryOptions): Promise<LocalRegistry> {
  const { store, logger, writeAccess, readCredentials, tls, limits, uploads, metrics, onManifestPulled } = options;
  const open = (host: string, port: number) =>
    startRegistryServer({
      ...{ store, logger, host, port, writeAccess, readCredentials, tls, limits, uploads, metrics },
      onManifestPulled,
      manifestGate: options.manifestGate,
    });
  let current: RegistryServer = await open(options.host, options.port).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EADDRINUSE"
        ? ": the address is in use (another satellite?); choose another with --registry-addr"
        : `: ${(error as Error).message}`;
    throw new Error(`the local registry cannot listen on ${options.host}:${options.port}${why}`, { cause: error });
  });
  let host = options.host;
  return {
    get url() {
      return current.url;
    },
    get host() {
      return host;
    },
    get port() {
      return current.port;
    },
    async moveTo(nextHost, nextPort) {
      if (nextHost === host && (nextPort === current.port || nextPort === 0)) return false;
      const next = await open(nextHost, nextPort);
      const previous = current;
      current = next;
      host = nextHost;
      options.logger.info({ from: previous.url, to: next.url }, "local registry moved");
      await previous.close();
      return true;
    },
    close: () => current.close(),
  };
}

/** `zot_config.http` → where to listen, when the artifact says. */
export function registryAddressFromZotConfig(
  zot: Record<string, unknown> | undefined,
): { host: string; port: number } | undefined {
  const http = zot?.http;
  if (!http || typeof http !== "object") return undefined;
  const { address, port } = http as { address?: unknown; port?: unknown };
  const portNumber =
    typeof port === "number" ? port : typeof port === "string" && /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (
    typeof address !== "string" ||
    address === "" ||
    !Number.isInteger(portNumber) ||
    portNumber < 1 ||
    portNumber > 65535
  )
    return undefined;
  return { host: address, port: portNumber };
}
