// The start-up failures an operator causes and can fix (a port taken, a data dir that is a file,
// a short admin password, a database that does not answer, a certificate file missing), each
// turned into one line saying what to do, with the exit code it deserves. Anything else is a bug
// and keeps its stack in the log. Stacks of the expected ones appear at --log-level debug.
import { DatabaseLockedError } from "@harbor-satellite/db";
import { AdminPasswordMissingError } from "@harbor-satellite/identity";
import { InvalidArgumentError } from "@harbor-satellite/rpc";
import { ConfigError, type GatewayConfig } from "./config.js";

export interface StartupFailure {
  /** One line, without the program's name. */
  message: string;
  /** 2: the configuration is wrong; 1: the environment is (port, disk, database). */
  exitCode: 1 | 2;
}

interface SystemError {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
}

// CONNECT_TIMEOUT is postgres.js's own code for a server that accepts but never answers.
const DATABASE_UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ECONNRESET",
  "CONNECT_TIMEOUT",
]);

/** The one line for an expected failure, or undefined for a bug. */
export function describeStartupFailure(
  error: unknown,
  config: Pick<GatewayConfig, "host" | "port" | "dataDir" | "databaseUrl">,
): StartupFailure | undefined {
  if (error instanceof AdminPasswordMissingError || error instanceof ConfigError)
    return { message: error.message, exitCode: 2 };
  if (error instanceof InvalidArgumentError) return { message: error.message, exitCode: 2 };
  if (error instanceof DatabaseLockedError) return { message: error.message, exitCode: 1 };
  const e = systemErrorIn(error);
  if (e.syscall === "listen" || e.syscall === "bind") {
    const where = `${config.host}:${config.port}`;
    if (e.code === "EADDRINUSE")
      return {
        message: `cannot listen on ${where}: the port is in use (another Ground Control?); stop it or choose another with --port`,
        exitCode: 1,
      };
    if (e.code === "EACCES")
      return {
        message: `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with --port`,
        exitCode: 1,
      };
    if (e.code === "EADDRNOTAVAIL")
      return { message: `cannot listen on ${where}: no such address on this machine; check --host`, exitCode: 2 };
  }
  if (e.path !== undefined && (e.code === "EEXIST" || e.code === "ENOTDIR"))
    return { message: `${e.path} is not a folder: --data-dir must name a folder (now ${config.dataDir})`, exitCode: 2 };
  if (e.path !== undefined && (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS"))
    return {
      message: `cannot write ${e.path}: ${e.code === "EROFS" ? "read-only file system" : "permission denied"}; give Ground Control a writable --data-dir`,
      exitCode: 1,
    };
  if (e.path !== undefined && e.code === "ENOENT" && e.syscall === "open")
    return { message: `cannot read ${e.path}: no such file (check --tls-cert / --tls-key)`, exitCode: 2 };
  if (config.databaseUrl && e.code && DATABASE_UNREACHABLE.has(e.code)) {
    const url = new URL(config.databaseUrl);
    return {
      message: `cannot reach PostgreSQL at ${url.hostname}:${url.port || 5432} (${e.code}): check DATABASE_URL and that the server runs`,
      exitCode: 1,
    };
  }
  const refusal = config.databaseUrl
    ? messages(error).find((m) =>
        /password authentication failed|database ".*" does not exist|role ".*" does not exist/.test(m),
      )
    : undefined;
  if (refusal) return { message: `PostgreSQL refused the connection: ${refusal}; check DATABASE_URL`, exitCode: 1 };
  return undefined;
}

/** The first error in the cause chain that carries a system error code (drivers wrap them). */
function systemErrorIn(error: unknown): SystemError {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as SystemError).code;
    if (typeof code === "string" && (/^E[A-Z]+$/.test(code) || DATABASE_UNREACHABLE.has(code))) return e as SystemError;
  }
  return {};
}

function messages(error: unknown): string[] {
  const found: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof Error) found.push(e.message);
  return found;
}
