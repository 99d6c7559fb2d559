// Checks a secret against its stored scrypt hash, remembering pairs just proven wrong (a negative
// cache), so a client repeating a wrong password or a satellite left with a rotated-away secret
// costs an HMAC, not a scrypt, each time.
//
// What is remembered is only HMAC-SHA256(per-process random key, account ‖ secret ‖ stored hash):
// no secret, and nothing useful outside this process. The stored hash is part of the key, so:
//   - a correct secret is never refused by the cache: scrypt is deterministic, so a secret proven
//     wrong against one stored hash is wrong against it forever;
//   - a rotated secret works at once: a new stored hash makes new keys.
// Checks of the same pair running at once share one scrypt. The cache is bounded (oldest entries
// go first) and entries expire, so memory stays flat whatever a client sends.
import { createHmac, randomBytes } from "node:crypto";
import { verifySecret } from "@harbor-satellite/rpc";

/** "known-wrong": refused from the cache, no hash computed. */
export type SecretVerdict = "match" | "wrong" | "known-wrong";

export interface SecretChecker {
  check(account: string, secret: string, storedHash: string): Promise<SecretVerdict>;
  /** Slow hashes computed and refusals answered from the cache since start (for tests and metrics). */
  stats(): { slowChecks: number; cachedRefusals: number };
}

export interface SecretCheckerOptions {
  /** The slow check; tests pass a counting wrapper. */
  verify?: (secret: string, storedHash: string) => Promise<boolean>;
  /** How long a wrong pair is refused without hashing. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export const WRONG_SECRET_TTL_MS = 10 * 60_000;
export const WRONG_SECRET_MAX_ENTRIES = 50_000;

export function createSecretChecker(options: SecretCheckerOptions = {}): SecretChecker {
  const verify = options.verify ?? verifySecret;
  const ttlMs = options.ttlMs ?? WRONG_SECRET_TTL_MS;
  const maxEntries = options.maxEntries ?? WRONG_SECRET_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const key = randomBytes(32);
  /** Fingerprint → when it stops being refused; Map order is insertion order, oldest first. */
  const wrong = new Map<string, number>();
  const running = new Map<string, Promise<boolean>>();
  let slowChecks = 0;
  let cachedRefusals = 0;

  const fingerprint = (account: string, secret: string, storedHash: string) =>
    createHmac("sha256", key)
      .update(account)
      .update("\0")
      .update(secret)
      .update("\0")
      .update(storedHash)
      .digest("base64url");

  const rememberWrong = (print: string) => {
    wrong.delete(print);
    while (wrong.size >= maxEntries) wrong.delete(wrong.keys().next().value as string);
    wrong.set(print, now() + ttlMs);
  };

  const slowCheck = (print: string, secret: string, storedHash: string): Promise<boolean> => {
    const shared = running.get(print);
    if (shared) return shared;
    slowChecks += 1;
    const result = verify(secret, storedHash).then((ok) => {
      if (!ok) rememberWrong(print);
      return ok;
    });
    running.set(print, result);
    const done = () => running.delete(print);
    result.then(done, done);
    return result;
  };

  return {
    async check(account, secret, storedHash) {
      const print = fingerprint(account, secret, storedHash);
      const until = wrong.get(print);
      if (until !== undefined) {
        if (until > now()) {
          cachedRefusals += 1;
          return "known-wrong";
        }
        wrong.delete(print);
      }
      return (await slowCheck(print, secret, storedHash)) ? "match" : "wrong";
    },
    stats: () => ({ slowChecks, cachedRefusals }),
  };
}

let processChecker: SecretChecker | undefined;

/**
 * The one checker of this process, shared by the Login rpc and the gateway's Basic credentials
 * so a pair proven wrong through one door is refused at the other.
 */
export function defaultSecretChecker(): SecretChecker {
  return (processChecker ??= createSecretChecker());
}
