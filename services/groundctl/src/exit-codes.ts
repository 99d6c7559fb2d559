// Exit codes and the errors that decide them. This file is the one place an outcome becomes an
// exit code (`exitCodeFor`) and a one-line message (`describeError`); commands only throw.
import { Code, ConnectError } from "@connectrpc/connect";

export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** An rpc failed (or the connection did), for any reason not listed below. */
  Failure: 1,
  /** The command line (or a file it names) was wrong; nothing was sent. */
  Usage: 2,
  /** Not logged in, the session expired, or the credentials were refused. */
  Unauthenticated: 3,
  /** What the command names does not exist. */
  NotFound: 4,
  /** It already exists, or the change conflicts with the current state (e.g. a group still assigned). */
  Conflict: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit codes as `groundctl --help` and the README list them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  the rpc failed (unavailable, internal, invalid_argument, resource_exhausted, …) or the connection did
  2  usage: the command line or a file it names is wrong; nothing was sent
  3  not logged in, session expired, or credentials refused (unauthenticated, permission_denied)
  4  not found
  5  already exists, or conflicts with the current state (already_exists, failed_precondition, aborted)`;

/** The command line was wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** No credentials to send: no session and no GROUNDCTL_TOKEN / GROUNDCTL_USERNAME+PASSWORD. */
export class NotLoggedInError extends Error {
  override name = "NotLoggedInError";
}

/** `not_found` for Code.NotFound: the wire name Connect uses in its JSON errors. */
export function codeName(code: Code): string {
  const name = Code[code];
  if (typeof name !== "string") return String(code);
  return name[0].toLowerCase() + name.slice(1).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof NotLoggedInError) return ExitCode.Unauthenticated;
  if (error instanceof ConnectError) {
    switch (error.code) {
      case Code.Unauthenticated:
      case Code.PermissionDenied:
        return ExitCode.Unauthenticated;
      case Code.NotFound:
        return ExitCode.NotFound;
      case Code.AlreadyExists:
      case Code.FailedPrecondition:
      case Code.Aborted:
        return ExitCode.Conflict;
      default:
        return ExitCode.Failure;
    }
  }
  return ExitCode.Failure;
}

/** One line, without the program name: `not_found: satellite "x" not found`. */
export function describeError(error: unknown): string {
  if (error instanceof ConnectError) {
    const message = oneLine(error.rawMessage || codeName(error.code));
    const tls = tlsErrorCode(error.cause);
    const hint =
      error.code === Code.Unauthenticated
        ? " (run groundctl login, or set GROUNDCTL_TOKEN)"
        : tls
          ? ` (TLS ${tls}: --ca-file FILE trusts a private CA)`
          : "";
    return `${codeName(error.code)}: ${message}${hint}`;
  }
  if (error instanceof UsageError || error instanceof NotLoggedInError) return oneLine(error.message);
  if (error instanceof Error) return oneLine(error.message);
  return oneLine(String(error));
}

/** Node's code for a certificate Ground Control's TLS presented and we could not verify. */
function tlsErrorCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return undefined;
  return /CERT|SIGNATURE|ISSUER|ALTNAME/.test(code) ? code : undefined;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
