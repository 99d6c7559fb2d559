// Raw SQL as a named prepared statement. drizzle's `db.execute` sends every parameterised query
// unprepared, and postgres.js then spends a round trip describing it (Parse/Describe, wait, then
// Bind/Execute) and PostgreSQL parses and plans it again each time. Hot statements (heartbeat
// ingest: thousands of rows a second) are prepared once per connection instead. PGlite ignores
// the name and runs the query as `execute` would.
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "./client.js";

const dialect = new PgDialect();

/** Runs `query` as the prepared statement `name`; the result has the shape `db.execute` returns. */
export function executePrepared(db: Executor, name: string, query: SQL): Promise<unknown> {
  return db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute();
}
