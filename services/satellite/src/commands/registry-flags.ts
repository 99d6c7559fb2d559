// The local registry's flags, the same for the agent and `satellite serve`: who may write, and
// the listener's limits where an operator may need other numbers than the defaults (a site with
// many nodes pulling at once behind one NAT address, a slow uplink for local pushes).
import type { ServerLimits } from "@harbor-satellite/serving";
import { UsageError } from "../cli/usage.js";
import type { UploadSessionLimits } from "../registry/upload-sessions.js";
import type { WriteAccess } from "../registry/write-access.js";
import { CredentialsFileError, loadWriteCredentials } from "../registry/write-credentials.js";
import { parseCount, parseDuration } from "./flag-values.js";

export const REGISTRY_FLAG_OPTIONS = {
  "registry-write-credentials-file": { type: "string" },
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
  limits: Partial<ServerLimits>;
  uploads: UploadSessionLimits;
}

type Values = { [K in keyof typeof REGISTRY_FLAG_OPTIONS]?: string };

export function parseRegistryFlags(values: Values, env: NodeJS.ProcessEnv = {}): RegistryFlags {
  const count = (flag: keyof Values) => (values[flag] === undefined ? undefined : parseCount(values[flag], `--${flag}`));
  const limits: Partial<ServerLimits> = {};
  const maxConnections = count("max-connections");
  const perSource = count("max-connections-per-source");
  if (maxConnections !== undefined) limits.maxConnections = maxConnections;
  if (perSource !== undefined) limits.maxConnectionsPerSource = perSource;
  if (values["idle-timeout"] !== undefined) limits.idleMs = Math.round(parseDuration(values["idle-timeout"], "--idle-timeout"));
  if (maxConnections !== undefined && perSource !== undefined && perSource > maxConnections) throw new UsageError("--max-connections-per-source cannot exceed --max-connections");
  const uploads: UploadSessionLimits = {};
  const sessions = count("max-upload-sessions");
  const sessionsPerSource = count("max-upload-sessions-per-source");
  if (sessions !== undefined) uploads.maxSessions = sessions;
  if (sessionsPerSource !== undefined) uploads.maxSessionsPerSource = sessionsPerSource;
  const file = values["registry-write-credentials-file"] ?? (env.REGISTRY_WRITE_CREDENTIALS_FILE || undefined);
  if (file !== undefined && file.trim() === "") throw new UsageError("--registry-write-credentials-file needs a path");
  return { writeCredentialsFile: file, limits, uploads };
}

/**
 * The write access the flags chose: credentials when a file was given (a file that cannot be
 * used is a UsageError), else `otherwise` (the agent: read-only; `satellite serve`: anonymous or
 * read-only, as its flags say).
 */
export async function resolveWriteAccess(writeCredentialsFile: string | undefined, otherwise: "read-only" | "anonymous"): Promise<WriteAccess> {
  if (writeCredentialsFile === undefined) return { mode: otherwise };
  try {
    return { mode: "credentials", credentials: await loadWriteCredentials(writeCredentialsFile) };
  } catch (error) {
    if (error instanceof CredentialsFileError) throw new UsageError(`--registry-write-credentials-file: ${error.message}`);
    throw error;
  }
}
