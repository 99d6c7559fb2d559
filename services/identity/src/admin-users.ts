// The admin account: created from ADMIN_PASSWORD the first time Ground Control starts, stored
// only as a scrypt hash, locked for a while after repeated wrong passwords.
import { eq, sql } from "drizzle-orm";
import { users, type Database } from "@harbor-satellite/db";
import { hashSecret, verifySecret, InvalidArgumentError, UnauthenticatedError, DomainError } from "@harbor-satellite/rpc";
import { Code } from "@connectrpc/connect";

export const ADMIN_USERNAME = "admin";
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 5 * 60_000;

export class AdminPasswordMissingError extends Error {
  constructor() {
    super("no admin account exists yet: set ADMIN_PASSWORD (at least 8 characters) for the first start");
    this.name = "AdminPasswordMissingError";
  }
}

/** Creates the admin user when missing. An existing admin keeps its password. */
export async function ensureAdminUser(db: Database, adminPassword: string | undefined): Promise<"created" | "exists"> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.username, ADMIN_USERNAME));
  if (existing) return "exists";
  if (!adminPassword) throw new AdminPasswordMissingError();
  if (adminPassword.length < MIN_PASSWORD_LENGTH) throw new InvalidArgumentError(`ADMIN_PASSWORD must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const passwordHash = await hashSecret(adminPassword);
  await db.insert(users).values({ username: ADMIN_USERNAME, passwordHash, role: "system_admin" }).onConflictDoNothing();
  return "created";
}

export class LockedOutError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(Code.ResourceExhausted, `too many failed logins: try again in ${retryAfterSeconds} s`);
  }
}

/**
 * Checks a username and password. Wrong user and wrong password give the same error, so the
 * answer does not reveal which users exist.
 */
export async function checkPassword(db: Database, username: string, password: string, now = new Date()): Promise<{ id: number; username: string }> {
  const [user] = await db.select().from(users).where(eq(users.username, username));
  if (!user) throw new UnauthenticatedError("wrong username or password");
  if (user.lockedUntil && user.lockedUntil > now) {
    throw new LockedOutError(Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000));
  }
  if (!(await verifySecret(password, user.passwordHash))) {
    await db
      .update(users)
      .set({
        failedLogins: sql`${users.failedLogins} + 1`,
        lockedUntil: sql`case when ${users.failedLogins} + 1 >= ${MAX_FAILED_LOGINS} then ${new Date(now.getTime() + LOCKOUT_MS).toISOString()}::timestamptz else null end`,
      })
      .where(eq(users.id, user.id));
    throw new UnauthenticatedError("wrong username or password");
  }
  if (user.failedLogins > 0) await db.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, user.id));
  return { id: user.id, username: user.username };
}
