// Turns request credentials into a Caller: admin bearer sessions, admin Basic credentials,
// robot Basic credentials (a satellite heartbeating as itself, as the original allowed), and the
// internal token other Ground Control processes present. A slow hash is checked once per
// credential and then remembered for several heartbeat intervals, so heartbeats do not cost a
// scrypt each; a remembered robot credential is re-checked against the stored hash (an indexed
// read shared by the re-checks due together, no hashing) every minute, so a rotated secret stops
// working within a minute everywhere.
//
// A credential not remembered costs a scrypt, so before one is spent the attempt is reserved
// against the limits per source address and account (auth/attempt-limits.ts; over them:
// ResourceExhausted with a retry hint), and a secret just proven wrong is refused without hashing
// again (the identity package's SecretChecker, shared with the Login rpc). Concurrent requests
// with the same credentials share one check.
import { hash, timingSafeEqual } from "node:crypto";
import type { Database } from "@harbor-satellite/db";
import {
  checkPassword,
  defaultSecretChecker,
  findSessionUser,
  ADMIN_USERNAME,
  type SecretChecker,
} from "@harbor-satellite/identity";
import { findRobotCredentials, robotSecretHashesOf } from "@harbor-satellite/registry";
import { toConnectError, UnauthenticatedError, type Caller } from "@harbor-satellite/rpc";
import { Code } from "@connectrpc/connect";
import { createAttemptLimits, type Attempt, type AttemptLimits } from "./auth/attempt-limits.js";
import { batchedHashRecheck } from "./auth/hash-recheck.js";
import type { PeerIdentity } from "./peer-identity.js";

/** How long a verified Basic credential is trusted without re-hashing it. */
export const CREDENTIAL_CACHE_MS = 10 * 60_000;
/** How often a remembered robot credential is compared with the stored hash (rotation). */
export const ROBOT_RECHECK_MS = 60_000;
const CACHE_LIMIT = 200_000;

/** Header a trusted Ground Control process uses to pass on the caller it authenticated. */
export const FORWARDED_CALLER_HEADER = "x-harbor-satellite-caller";

export interface AuthenticatorOptions {
  db: Database;
  internalToken?: string;
  now?: () => number;
  /** Default: limits of its own with the default policy. */
  limits?: AttemptLimits;
  /** Default: the process's one checker, which the Login rpc uses too. */
  secrets?: SecretChecker;
}

interface Remembered {
  caller: Caller;
  /** For robots: whose hash to re-check, and the hash the secret matched. */
  robot?: { name: string; hash: string };
  until: number;
  checkedAt: number;
}

export interface Authenticator {
  /**
   * `source`: the client's network address (the TCP peer), which limits attempts per source;
   * callers that omit it share one budget.
   */
  (headers: Headers, peer?: PeerIdentity, source?: string): Promise<Caller>;
  /** The attempt limits Basic credentials are checked under; the Login rpc uses the same. */
  readonly limits: AttemptLimits;
  /**
   * Whether the request carries the internal token, i.e. comes from another Ground Control
   * process: only then are the headers it forwards (caller, public URL) believed.
   */
  isPeerProcess(headers: Headers): boolean;
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const limits = options.limits ?? createAttemptLimits({}, now);
  const secrets = options.secrets ?? defaultSecretChecker();
  const verified = new Map<string, Remembered>();
  const checking = new Map<string, Promise<Caller>>();
  // Re-checks due together share one read (auth/hash-recheck.ts).
  const storedHashes = batchedHashRecheck((names) => robotSecretHashesOf(options.db, names));

  const remember = (key: string, caller: Caller, robot?: { name: string; hash: string }) => {
    if (verified.size >= CACHE_LIMIT) verified.clear();
    verified.set(key, { caller, robot, until: now() + CREDENTIAL_CACHE_MS, checkedAt: now() });
    return caller;
  };

  /** A remembered credential that is still good, re-checking a robot's stored hash now and then. */
  const recall = async (key: string): Promise<Caller | undefined> => {
    const hit = verified.get(key);
    if (!hit || hit.until <= now()) return undefined;
    if (hit.robot && now() - hit.checkedAt >= ROBOT_RECHECK_MS) {
      if (!(await storedHashes(hit.robot.name)).includes(hit.robot.hash)) {
        verified.delete(key);
        return undefined;
      }
      hit.checkedAt = now();
    }
    return hit.caller;
  };

  async function basic(username: string, password: string, source: string | undefined): Promise<Caller> {
    const key = hash("sha256", `${username}\0${password}`);
    const known = await recall(key);
    if (known) return known;
    const running = checking.get(key);
    if (running) return running;
    const check = verify(key, username, password, source);
    checking.set(key, check);
    const done = () => checking.delete(key);
    check.then(done, done);
    return check;
  }

  /** The slow path: reserve an attempt, then check the secret against its stored hash. */
  async function verify(key: string, username: string, password: string, source: string | undefined): Promise<Caller> {
    const admin = username === ADMIN_USERNAME;
    if (!admin && !username.startsWith("robot$")) throw new UnauthenticatedError("wrong username or password");
    const attempt = await limits.reserveWhenFree(source, username, { guessable: admin });
    try {
      if (admin) {
        await checkPassword(options.db, username, password, secrets);
        attempt.succeeded();
        return remember(key, { kind: "admin", username });
      }
      const row = await findRobotCredentials(options.db, { robot: username });
      let verdict = row ? await secrets.check(username, password, row.secretHash) : "wrong";
      let matched = row?.secretHash;
      // A satellite that has not confirmed a credential refresh yet still holds the old secret.
      if (row?.previousSecretHash && verdict !== "match") {
        const previous = await secrets.check(username, password, row.previousSecretHash);
        if (previous === "match") [verdict, matched] = [previous, row.previousSecretHash];
        else if (previous === "wrong") verdict = "wrong";
      }
      if (row && matched && verdict === "match") {
        attempt.succeeded();
        return remember(
          key,
          { kind: "satellite", name: row.satellite, region: row.region, via: "robot" },
          { name: username, hash: matched },
        );
      }
      // A secret already proven wrong cost nothing and is not counted: a satellite left with a
      // rotated-away secret does not back itself off; guessing new ones is what counts.
      if (verdict === "known-wrong") attempt.released();
      else attempt.failed();
      throw new UnauthenticatedError("wrong username or password");
    } catch (error) {
      settle(attempt, error);
      throw error;
    }
  }

  const isPeerProcess = (headers: Headers): boolean => {
    const authorization = headers.get("authorization") ?? "";
    return (
      Boolean(options.internalToken) &&
      /^bearer /i.test(authorization) &&
      safeEqual(authorization.slice(7).trim(), options.internalToken ?? "")
    );
  };

  const authenticate = async (headers: Headers, peer?: PeerIdentity, source?: string): Promise<Caller> => {
    // A certificate, when presented, is the identity: a bad one is refused outright rather than
    // silently ignored in favour of headers.
    if (peer?.kind === "rejected") throw new UnauthenticatedError(`client certificate rejected: ${peer.reason}`);
    if (peer?.kind === "satellite")
      return { kind: "satellite", name: peer.name, region: peer.region, spiffeId: peer.spiffeId, via: "spiffe" };
    const authorization = headers.get("authorization");
    if (!authorization) return { kind: "anonymous" };
    const space = authorization.indexOf(" ");
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    if (scheme === "bearer" && value) {
      if (options.internalToken && safeEqual(value, options.internalToken)) return forwardedCaller(headers);
      const user = await findSessionUser(options.db, value);
      if (!user) throw new UnauthenticatedError("session expired or unknown: log in again");
      return { kind: "admin", username: user.username };
    }
    if (scheme === "basic" && value) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return basic(decoded.slice(0, colon), decoded.slice(colon + 1), source);
    }
    throw new UnauthenticatedError("unsupported Authorization header: use Bearer <session> or Basic credentials");
  };
  return Object.assign(authenticate, { isPeerProcess, limits });
}

/** Settles an attempt its check threw out of: wrong credentials failed it, anything else did not. */
export function settle(attempt: Attempt, error: unknown): void {
  if (toConnectError(error).code === Code.Unauthenticated) attempt.failed();
  else attempt.released();
}

/** A trusted peer process may say whom it calls for; otherwise it calls as a service. */
function forwardedCaller(headers: Headers): Caller {
  const forwarded = headers.get(FORWARDED_CALLER_HEADER);
  return forwarded ? decodeForwardedCaller(forwarded) : { kind: "service", spiffeId: "internal" };
}

export function decodeForwardedCaller(value: string): Caller {
  try {
    const caller = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Caller;
    if (["anonymous", "admin", "satellite", "service"].includes(caller?.kind)) return caller;
  } catch {
    // fall through
  }
  throw new UnauthenticatedError("malformed forwarded caller");
}

export function encodeForwardedCaller(caller: Caller): string {
  return Buffer.from(JSON.stringify(caller)).toString("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
