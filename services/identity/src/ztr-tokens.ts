// Single-use, expiring ZTR tokens for satellites that enrol without SPIFFE. Only the SHA-256 of a
// token is stored (a 128-bit random token needs no slow hash). A token is claimed atomically by
// one UPDATE, so of two concurrent uses exactly one wins; if enrolment then fails, the claim is
// released so the satellite can retry with the same token.
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { ztrTokens, type Database } from "@harbor-satellite/db";
import { satelliteIdByName, satelliteNameById } from "@harbor-satellite/fleet";
import { InvalidArgumentError, NotFoundError } from "@harbor-satellite/rpc";

export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Issues a token for an existing satellite, revoking its earlier unused ones. */
export async function issueToken(
  db: Database,
  satellite: string,
  ttlSeconds: number,
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  if (ttlSeconds < 0 || ttlSeconds > MAX_TOKEN_TTL_SECONDS)
    throw new InvalidArgumentError(
      `ttl_seconds must be between 1 and ${MAX_TOKEN_TTL_SECONDS} (0 means ${DEFAULT_TOKEN_TTL_SECONDS})`,
    );
  const satelliteId = await satelliteIdByName(db, satellite);
  if (satelliteId === undefined) throw new NotFoundError("satellite", satellite);
  const token = randomBytes(16).toString("hex");
  const expiresAt = new Date(now.getTime() + (ttlSeconds || DEFAULT_TOKEN_TTL_SECONDS) * 1000);
  await db.delete(ztrTokens).where(and(eq(ztrTokens.satelliteId, satelliteId), isNull(ztrTokens.consumedAt)));
  await db.insert(ztrTokens).values({ satelliteId, tokenHash: hashToken(token), expiresAt });
  return { token, expiresAt };
}

export interface ClaimedToken {
  id: number;
  satellite: string;
}

/** Claims a live, unused token; undefined when unknown, used or expired. */
export async function claimToken(db: Database, token: string, now = new Date()): Promise<ClaimedToken | undefined> {
  const [claimed] = await db
    .update(ztrTokens)
    .set({ consumedAt: now })
    .where(and(eq(ztrTokens.tokenHash, hashToken(token)), isNull(ztrTokens.consumedAt), gt(ztrTokens.expiresAt, now)))
    .returning({ id: ztrTokens.id, satelliteId: ztrTokens.satelliteId });
  if (!claimed) return undefined;
  const name = await satelliteNameById(db, claimed.satelliteId);
  return name === undefined ? undefined : { id: claimed.id, satellite: name };
}

/** Gives a claimed token back after a failed enrolment, unless it expired meanwhile. */
export async function releaseToken(db: Database, claim: ClaimedToken): Promise<void> {
  await db
    .update(ztrTokens)
    .set({ consumedAt: null })
    .where(and(eq(ztrTokens.id, claim.id), sql`${ztrTokens.expiresAt} > now()`));
}
