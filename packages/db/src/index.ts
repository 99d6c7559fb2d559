// Public surface of @harbor-satellite/db.
export { dumpMigratedCluster, migratedTemplate, openDatabase, openMemoryDatabase } from "./client.js";
export { useMemoryTemplate } from "./memory-template.js";
export { DatabaseLockedError } from "./database-lock.js";
export type { Database, Transaction, Executor, DatabaseHandle, OpenDatabaseOptions, Schema } from "./client.js";
export { inTransaction } from "./transaction.js";
export { executePrepared } from "./prepared.js";
export { pgErrorOf, rowsOf } from "./sql-result.js";
export { isStorableText } from "./storable-text.js";
export { withAdvisoryLock, LockKey } from "./advisory-lock.js";
export * from "./schema/index.js";
