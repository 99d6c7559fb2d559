// Which Ground Control to call and with which credentials, from (in this order) the command line,
// the environment and the stored session. A session's token is only ever sent to the URL it was
// issued by.
import { NotLoggedInError, UsageError } from "./exit-codes.js";
import type { Session } from "./session.js";

export type Credentials = { kind: "bearer"; token: string } | { kind: "basic"; username: string; password: string };

export interface Target {
  /** Normalized: scheme, host, port and path prefix, no trailing slash. */
  url: string;
  credentials?: Credentials;
  /** Where the credentials come from, for messages: "GROUNDCTL_TOKEN", "session", …. */
  source?: string;
  caFile?: string;
  insecureSkipVerify: boolean;
  http2: boolean;
  timeoutMs: number;
}

export interface TargetFlags {
  url?: string;
  caFile?: string;
  insecureSkipVerify?: boolean;
  http2?: boolean;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** `http(s)://host[:port][/prefix]` without a trailing slash; anything else is a usage error. */
export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${JSON.stringify(raw)} is not a URL: give http://HOST:PORT or https://HOST`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`Ground Control's URL must be http:// or https://, not ${url.protocol}//`);
  if (url.username || url.password)
    throw new UsageError("put no credentials in the URL: use groundctl login, or GROUNDCTL_TOKEN");
  if (url.search || url.hash) throw new UsageError("Ground Control's URL takes no query or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** Where to connect without credentials (login): the URL from the flag or the environment. */
export function anonymousTarget(flags: TargetFlags, env: NodeJS.ProcessEnv): Target {
  const raw = flags.url ?? env.GROUNDCTL_URL;
  if (!raw) throw new UsageError("no Ground Control URL: pass --url URL (or set GROUNDCTL_URL)");
  return {
    url: normalizeUrl(raw),
    caFile: flags.caFile ?? (env.GROUNDCTL_CA_FILE || undefined),
    insecureSkipVerify: flags.insecureSkipVerify ?? false,
    http2: flags.http2 ?? false,
    timeoutMs: flags.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/**
 * The target for an admin rpc. Credentials: GROUNDCTL_TOKEN, else GROUNDCTL_PASSWORD (with
 * GROUNDCTL_USERNAME, `admin` when unset) as Basic credentials, else the session when it was made
 * for this URL. None of them: NotLoggedInError.
 */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv, session: Session | undefined): Target {
  const raw = flags.url ?? (env.GROUNDCTL_URL || undefined) ?? session?.url;
  if (!raw)
    throw new NotLoggedInError(
      "not logged in: run groundctl login --url URL --username admin --password-stdin (or set GROUNDCTL_URL and GROUNDCTL_TOKEN)",
    );
  const url = normalizeUrl(raw);
  const own = session && safeNormalize(session.url) === url ? session : undefined;
  let credentials: Credentials | undefined;
  let source: string | undefined;
  if (env.GROUNDCTL_TOKEN) {
    credentials = { kind: "bearer", token: env.GROUNDCTL_TOKEN };
    source = "GROUNDCTL_TOKEN";
  } else if (env.GROUNDCTL_PASSWORD) {
    credentials = { kind: "basic", username: env.GROUNDCTL_USERNAME || "admin", password: env.GROUNDCTL_PASSWORD };
    source = "GROUNDCTL_USERNAME/GROUNDCTL_PASSWORD";
  } else if (own) {
    credentials = { kind: "bearer", token: own.token };
    source = "session";
  } else {
    const why = session ? ` (the stored session is for ${session.url})` : "";
    throw new NotLoggedInError(
      `not logged in to ${url}${why}: run groundctl login --url ${url} --username admin --password-stdin`,
    );
  }
  return {
    url,
    credentials,
    source,
    caFile: flags.caFile ?? (env.GROUNDCTL_CA_FILE || undefined) ?? own?.caFile,
    insecureSkipVerify: flags.insecureSkipVerify || own?.insecureSkipVerify === true,
    http2: flags.http2 ?? false,
    timeoutMs: flags.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

function safeNormalize(raw: string): string | undefined {
  try {
    return normalizeUrl(raw);
  } catch {
    return undefined;
  }
}
