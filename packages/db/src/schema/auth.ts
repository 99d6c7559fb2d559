// Admin users and their bearer sessions, and single-use ZTR tokens for satellites. Only hashes
// of passwords, session tokens and ZTR tokens are stored.
import { integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { lifecycleDates } from "./columns.js";
import { satellites } from "./satellites.js";

export const users = pgTable("users", {
  id: serial("id").primaryKey(),
  username: text("username").notNull().unique(),
  /** scrypt hash ("$scrypt$..."). */
  passwordHash: text("password_hash").notNull(),
  role: text("role").$type<"system_admin" | "admin">().notNull(),
  failedLogins: integer("failed_logins").notNull().default(0),
  lockedUntil: timestamp("locked_until", { withTimezone: true }),
  ...lifecycleDates,
});

export const sessions = pgTable("sessions", {
  id: serial("id").primaryKey(),
  /** SHA-256 hex of the bearer token: tokens are random 32 bytes, so a fast hash is enough. */
  tokenHash: text("token_hash").notNull().unique(),
  userId: integer("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const ztrTokens = pgTable("ztr_tokens", {
  id: serial("id").primaryKey(),
  satelliteId: integer("satellite_id")
    .notNull()
    .references(() => satellites.id, { onDelete: "cascade" }),
  /** SHA-256 hex of the token. */
  tokenHash: text("token_hash").notNull().unique(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  consumedAt: timestamp("consumed_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
