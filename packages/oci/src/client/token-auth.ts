// Registry authentication: Basic, and the Docker token flow (a 401 carries
// `WWW-Authenticate: Bearer realm=…,service=…,scope=…`; we GET realm?service=&scope= with Basic
// credentials and send the returned `token` or `access_token` as a Bearer header). Once the scheme
// of a registry is known, later requests authenticate up front, so each scope costs one 401 per
// client at most. Tokens are cached per scope until shortly before they expire. Credentials and
// tokens never appear in errors or logs.
import { RegistryError, redactUrl } from "./registry-error.js";
import { readBody, type HttpTransport } from "./http-transport.js";

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** What the authenticator learned, handed to another client (a worker thread) to skip the 401s. */
export interface AuthSnapshot {
  scheme: "none" | "basic" | "bearer" | "unknown";
  realm?: string;
  service?: string;
  tokens: { key: string; token: string; expiresAt: number }[];
}

/** A token is refreshed this long before its stated expiry. */
const EXPIRY_MARGIN_MS = 10_000;
/** The token spec's default lifetime when the answer has none. */
const DEFAULT_TOKEN_SECONDS = 60;

/** `repository:<name>:<actions>` as the token spec spells a scope. */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/** Parses a WWW-Authenticate value with one or more challenges (RFC 9110 §11.6.1). */
export function parseChallenges(value: string): Challenge[] {
  const challenges: Challenge[] = [];
  const re = /\s*,?\s*([A-Za-z][\w!#$%&'*+.^`|~-]*)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/gy;
  let current: Challenge | undefined;
  let match: RegExpExecArray | null;
  while (re.lastIndex < value.length && (match = re.exec(value)) !== null) {
    if (match[0].length === 0) break;
    const [, name, raw] = match;
    if (raw === undefined) {
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
    } else if (current) {
      current.params[name.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    }
  }
  return challenges;
}

export interface Authenticator {
  /** The Authorization header to send for these scopes, fetching a token if needed. */
  authorization(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Learns from a 401's challenge and prepares credentials for a retry. `sent` is the
   * Authorization header the refused request carried. Returns false when a retry cannot succeed
   * (no challenge we can answer).
   */
  handleChallenge(
    wwwAuthenticate: string | undefined,
    scopes: readonly string[],
    signal?: AbortSignal,
    sent?: string,
  ): Promise<boolean>;
  /** Forgets the cached token for these scopes (it was refused). */
  invalidate(scopes: readonly string[]): void;
  /** True once a challenge taught the scheme (or a seed did). */
  readonly known: boolean;
  snapshot(): AuthSnapshot;
}

export function createAuthenticator(
  transport: HttpTransport,
  credentials?: Credentials,
  seed?: AuthSnapshot,
): Authenticator {
  let scheme: AuthSnapshot["scheme"] = seed?.scheme ?? "unknown";
  let realm = seed?.realm;
  let service = seed?.service;
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  for (const t of seed?.tokens ?? []) tokens.set(t.key, { token: t.token, expiresAt: t.expiresAt });
  const pending = new Map<string, Promise<string>>();
  const basic = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`
    : undefined;

  const keyOf = (scopes: readonly string[]) => [...scopes].sort().join(" ");

  const fetchToken = async (scopes: readonly string[], signal?: AbortSignal): Promise<string> => {
    if (!realm) throw new RegistryError(401, "UNAUTHORIZED", "bearer challenge without realm", "", "GET");
    const url = new URL(realm);
    if (service) url.searchParams.set("service", service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    const res = await transport.request({ method: "GET", url, headers: basic ? { authorization: basic } : {}, signal });
    const body = await readBody(res.body, 1 << 20);
    if (res.status !== 200) throw RegistryError.fromBody(res.status, body.toString("utf8"), url, "GET");
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
    } catch {
      throw new RegistryError(res.status, "", "token answer is not JSON", redactUrl(url), "GET");
    }
    const token = typeof parsed.token === "string" && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== "string" || !token)
      throw new RegistryError(res.status, "", "token answer has no token", redactUrl(url), "GET");
    const seconds =
      typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof parsed.issued_at === "string" ? Date.parse(parsed.issued_at) : NaN;
    const start = Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now());
    // Refresh ahead of expiry, but never so far ahead that a short-lived token is stale at birth.
    const margin = Math.min(EXPIRY_MARGIN_MS, (seconds * 1000) / 2);
    tokens.set(keyOf(scopes), { token, expiresAt: start + seconds * 1000 - margin });
    return token;
  };

  const bearerFor = async (scopes: readonly string[], signal?: AbortSignal, forceNew = false): Promise<string> => {
    const key = keyOf(scopes);
    const cached = tokens.get(key);
    if (!forceNew && cached && cached.expiresAt > Date.now()) return cached.token;
    let inflight = pending.get(key);
    if (!inflight) {
      inflight = fetchToken(scopes, signal).finally(() => pending.delete(key));
      pending.set(key, inflight);
    }
    return inflight;
  };

  return {
    async authorization(scopes, signal) {
      if (scheme === "basic") return basic;
      if (scheme === "bearer") return `Bearer ${await bearerFor(scopes, signal)}`;
      return undefined;
    },
    async handleChallenge(wwwAuthenticate, scopes, signal, sent) {
      const challenges = parseChallenges(wwwAuthenticate ?? "");
      const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
      // Only a token that was sent and refused needs replacing; a request sent before the scheme
      // was known (or by a sibling) may use the token another request just got.
      const refused = sent?.startsWith("Bearer ") === true;
      if (bearer) {
        scheme = "bearer";
        realm = bearer.params.realm;
        service = bearer.params.service;
        // The challenge's scope names what the server wants; ask for it and for ours.
        const all = [...new Set([...scopes, ...(bearer.params.scope ? bearer.params.scope.split(" ") : [])])];
        const token = await bearerFor(all, signal, refused);
        if (keyOf(all) !== keyOf(scopes)) tokens.set(keyOf(scopes), tokens.get(keyOf(all)) ?? { token, expiresAt: 0 });
        return true;
      }
      // Harbor answers a refused token with a Basic challenge (it sees an Authorization header):
      // get a new token rather than falling back to Basic for good.
      if (scheme === "bearer" && refused && realm) {
        await bearerFor(scopes, signal, true);
        return true;
      }
      // Also when the scheme is already basic: a concurrent request sent before the first
      // challenge was learned got its own 401 and must get its retry too. The session retries
      // once per request, so wrong credentials still end in one 401, not a loop.
      if (challenges.some((c) => c.scheme === "basic") && basic) {
        scheme = "basic";
        return true;
      }
      return false;
    },
    invalidate(scopes) {
      tokens.delete(keyOf(scopes));
    },
    get known() {
      return scheme !== "unknown";
    },
    snapshot() {
      const now = Date.now();
      return {
        scheme,
        realm,
        service,
        tokens: [...tokens].filter(([, t]) => t.expiresAt > now).map(([key, t]) => ({ key, ...t })),
      };
    },
  };
}
