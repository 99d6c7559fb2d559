// The local registry's flags, the same for the agent and `satellite serve`: who may write, and
// who may read, HTTPS, and the listener's limits where an operator may need other numbers than the defaults (a site with
// many nodes pulling at once behind one NAT address, a slow uplink for local pushes).
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import type { ServerLimits } from "@harbor-satellite/serving";
import { UsageError } from "./usage-error.js";
import type { UploadSessionLimits } from "../registry/upload-sessions.js";
import type { WriteAccess } from "../registry/write-access.js";
import { CredentialsFileError, loadWriteCredentials, type WriteCredentials } from "../registry/write-credentials.js";
import { parseCount, parseDuration } from "./flag-values.js";

export const REGISTRY_FLAG_OPTIONS = {
  "registry-write-credentials-file": { type: "string" },
  "registry-read-credentials-file": { type: "string" },
  "registry-tls-cert": { type: "string" },
  "registry-tls-key": { type: "string" },
  "max-connections": { type: "string" },
  "max-connections-per-source": { type: "string" },
  "idle-timeout": { type: "string" },
  "max-upload-sessions": { type: "string" },
  "max-upload-sessions-per-source": { type: "string" },
} as const;

export const REGISTRY_FLAGS_HELP = `  --registry-write-credentials-file FILE
                                 allow pushes and deletes with Basic credentials from FILE: lines of
                                 user:password or user:$scrypt$… (from 'satellite hash-password');
                                 reads stay anonymous (REGISTRY_WRITE_CREDENTIALS_FILE)
  --registry-read-credentials-file FILE
                                 pulls (and the /v2/ probe) need Basic credentials of a user in FILE
                                 (same format) or in the write credentials file; without them 401
                                 (REGISTRY_READ_CREDENTIALS_FILE)
  --registry-tls-cert FILE       serve HTTPS with this PEM certificate chain (leaf first) and
  --registry-tls-key FILE        its PEM private key (REGISTRY_TLS_CERT, REGISTRY_TLS_KEY)
  --max-connections N            open connections to the registry in all (default: 16,384, or
                                 fewer under a low open-file limit)
  --max-connections-per-source N from one client address (IPv6: per /64; default an eighth of
                                 --max-connections, at least 64)
  --idle-timeout DUR             close a connection with no traffic either way this long (default 120s)
  --max-upload-sessions N        pushes under way at once (default 1024)
  --max-upload-sessions-per-source N
                                 from one client address (default 64)`;

export interface RegistryFlags {
  writeCredentialsFile?: string;
  readCredentialsFile?: string;
  /** PEM files for HTTPS; both or neither. */
  tls?: { certFile: string; keyFile: string };
  limits: Partial<ServerLimits>;
  uploads: UploadSessionLimits;
}

type Values = { [K in keyof typeof REGISTRY_FLAG_OPTIONS]?: string };

export function parseRegistryFlags(values: Values, env: NodeJS.ProcessEnv = {}): RegistryFlags {
  const count = (flag: keyof Values) =>
    values[flag] === undefined ? undefined : parseCount(values[flag], `--${flag}`);
  const limits: Partial<ServerLimits> = {};
  const maxConnections = count("max-connections");
  const perSource = count("max-connections-per-source");
  if (maxConnections !== undefined) limits.maxConnections = maxConnections;
  if (perSource !== undefined) limits.maxConnectionsPerSource = perSource;
  if (values["idle-timeout"] !== undefined)
    limits.idleMs = Math.round(parseDuration(values["idle-timeout"], "--idle-timeout"));
  if (maxConnections !== undefined && perSource !== undefined && perSource > maxConnections)
    throw new UsageError("--max-connections-per-source cannot exceed --max-connections");
  const uploads: UploadSessionLimits = {};
  const sessions = count("max-upload-sessions");
  const sessionsPerSource = count("max-upload-sessions-per-source");
  if (sessions !== undefined) uploads.maxSessions = sessions;
  if (sessionsPerSource !== undefined) uploads.maxSessionsPerSource = sessionsPerSource;
  const path = (flag: keyof Values, variable: string) => {
    const value = values[flag] ?? (env[variable] || undefined);
    if (value !== undefined && value.trim() === "") throw new UsageError(`--${flag} needs a path`);
    return value;
  };
  const file = path("registry-write-credentials-file", "REGISTRY_WRITE_CREDENTIALS_FILE");
  const readCredentialsFile = path("registry-read-credentials-file", "REGISTRY_READ_CREDENTIALS_FILE");
  const certFile = path("registry-tls-cert", "REGISTRY_TLS_CERT");
  const keyFile = path("registry-tls-key", "REGISTRY_TLS_KEY");
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError("--registry-tls-cert and --registry-tls-key go together");
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
  return { writeCredentialsFile: file, readCredentialsFile, tls, limits, uploads };
}

/** The read credentials file's users (undefined: reads are anonymous); a file that cannot be used is a UsageError. */
export async function resolveReadCredentials(
  readCredentialsFile: string | undefined,
): Promise<WriteCredentials | undefined> {
  if (readCredentialsFile === undefined) return undefined;
  try {
    return await loadWriteCredentials(readCredentialsFile);
  } catch (error) {
    if (error instanceof CredentialsFileError)
      throw new UsageError(
        `--registry-read-credentials-file: ${error.message.replace("write credentials", "read credentials")}`,
      );
    throw error;
  }
}

/** Reads the certificate and key and checks they make a TLS context (a pair that does not match is a UsageError). */
export async function loadRegistryTls(
  tls: RegistryFlags["tls"],
  flags = { cert: "--registry-tls-cert", key: "--registry-tls-key" },
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!tls) return undefined;
  const read = async (file: string, flag: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new UsageError(
        `${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  };
  const pair = { cert: await read(tls.certFile, flags.cert), key: await read(tls.keyFile, flags.key) };
  try {
    createSecureContext(pair);
  } catch (error) {
    // OpenSSL's message names the problem (no PEM, a key that does not match); never the key itself.
    throw new UsageError(`${flags.cert}/${flags.key}: not a usable certificate and key: ${(error as Error).message}`);
  }
  return pair;
}

/**
 * The write access the flags chose: credentials when a file was given (a file that cannot be
 * used is a UsageError), else `otherwise` (the agent: read-only; `satellite serve`: anonymous or
 * read-only, as its flags say).
 */
export async function resolveWriteAccess(
  writeCredentialsFile: string | undefined,
  otherwise: "read-only" | "anonymous",
): Promise<WriteAccess> {
  if (writeCredentialsFile === undefined) return { mode: otherwise };
  try {
    return { mode: "credentials", credentials: await loadWriteCredentials(writeCredentialsFile) };
  } catch (error) {
    if (error instanceof CredentialsFileError)
      throw new UsageError(`--registry-write-credentials-file: ${error.message}`);
    throw error;
  }
}
