// A span per database transaction, so traces show where time goes between rpc and Harbor call.
import { withSpan } from "@harbor-satellite/telemetry";
import type { Database, Transaction } from "./client.js";

export function inTransaction<T>(db: Database, name: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return withSpan("db", `db.tx ${name}`, { "db.system": "postgresql" }, () => db.transaction(fn));
}
