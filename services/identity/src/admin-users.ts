// The admin account: created from ADMIN_PASSWORD the first time Ground Control starts, stored
// only as a scrypt hash.
import { eq } from "drizzle-orm";
import { isStorableText, users, type Database } from "@harbor-satellite/db";
import { hashSecret, InvalidArgumentError, UnauthenticatedError, type SecretHashParams } from "@harbor-satellite/rpc";
import { defaultSecretChecker, type SecretChecker } from "./secret-checker.js";

export const ADMIN_USERNAME = "admin";
export const MIN_PASSWORD_LENGTH = 8;

export class AdminPasswordMissingError extends Error {
  constructor() {
    super("no admin account exists yet: set ADMIN_PASSWORD (at least 8 characters) for the first start");
    this.name = "AdminPasswordMissingError";
  }
}

/** Creates the admin user when missing. An existing admin keeps its password. `hashParams`: scrypt's cost (tests pass a cheap one). */
export async function ensureAdminUser(
  db: Database,
  adminPassword: string | undefined,
  hashParams?: SecretHashParams,
): Promise<"created" | "exists"> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.username, ADMIN_USERNAME));
  if (existing) return "exists";
  if (!adminPassword) throw new AdminPasswordMissingError();
  if (adminPassword.length < MIN_PASSWORD_LENGTH)
    throw new InvalidArgumentError(`ADMIN_PASSWORD must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const passwordHash = await hashSecret(adminPassword, hashParams);
  await db.insert(users).values({ username: ADMIN_USERNAME, passwordHash, role: "system_admin" }).onConflictDoNothing();
  return "created";
}

/**
 * Checks a username and password. Wrong user and wrong password give the same error, so the
 * answer does not reveal which users exist.
 *
 * Throttling is not done here: the gateway reserves every password attempt (per source address and
 * account, in memory, before any hashing: services/gateway/src/auth/attempt-limits.ts) before
 * this runs. This function reads no failure counter and writes none, so concurrent calls have
 * nothing to race on; the `failed_logins`/`locked_until` columns are no longer used.
 */
export async function checkPassword(
  db: Database,
  username: string,
  password: string,
  secrets: SecretChecker = defaultSecretChecker(),
): Promise<{ id: number; username: string }> {
  // No user's name holds what PostgreSQL cannot store (a NUL, say), and binding one to the query
  // would be a database error: such a name is simply not a user.
  if (!isStorableText(username)) throw new UnauthenticatedError("wrong username or password");
  const [user] = await db
    .select({ id: users.id, username: users.username, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.username, username));
  if (!user || (await secrets.check(username, password, user.passwordHash)) !== "match")
    throw new UnauthenticatedError("wrong username or password");
  return { id: user.id, username: user.username };
}
