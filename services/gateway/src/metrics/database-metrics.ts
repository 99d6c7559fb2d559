// Database metrics around the driver Ground Control's drizzle database runs on. postgres.js keeps
// its pool private (no count of busy or idle connections, no queue length), so what is observable
// is what passes through the calls drizzle makes on the client, which this wraps on the one
// client object (`db.$client`): `unsafe` (every query), `begin` (every transaction, whose own
// client is wrapped too). PGlite's `query` and `transaction` likewise.
//   db.client.operation.duration              histogram, s: db.system.name, db.operation.name
//                                             (first SQL keyword), error.type and
//                                             db.response.status_code (SQLSTATE) on failure; the time
//                                             includes waiting for a free pool connection
//   db.client.connection.max                  gauge: the pool's size (postgres.js `max`; PGlite 1)
//   ground_control.db.client.operations.active  gauge: queries in flight (running or queued for a connection)
//   ground_control.db.client.transactions.active gauge: open transactions, each holding a connection
import type { DatabaseHandle } from "@harbor-satellite/db";
import {
  boundHistogram,
  DURATION_BUCKETS_S,
  instrumentScope,
  type Attributes,
  type BoundHistogram,
} from "@harbor-satellite/telemetry/metrics";

const scope = instrumentScope("@harbor-satellite/gateway/database");
// Every query: bound series per operation and outcome, so a query pays no attribute hashing.
const duration = boundHistogram("@harbor-satellite/gateway/database", "db.client.operation.duration", {
  unit: "s",
  description: "Duration of database queries as the client sees them (waiting for a pool connection included).",
  boundaries: [0.001, ...DURATION_BUCKETS_S],
});
const poolMax = scope.observableGauge("db.client.connection.max", {
  unit: "{connection}",
  description: "The largest number of connections the pool opens.",
});
const activeOperations = scope.observableGauge("ground_control.db.client.operations.active", {
  unit: "{operation}",
  description: "Queries in flight: running, or waiting for a pool connection.",
});
const activeTransactions = scope.observableGauge("ground_control.db.client.transactions.active", {
  unit: "{transaction}",
  description: "Open transactions; each holds a pool connection until it ends.",
});

const OPERATIONS = new Set([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "WITH",
  "BEGIN",
  "COMMIT",
  "ROLLBACK",
  "SAVEPOINT",
  "SET",
  "SHOW",
  "CREATE",
  "ALTER",
  "DROP",
  "LOCK",
  "VACUUM",
  "ANALYZE",
]);

/** Series by operation (success) and by operation and SQLSTATE (failure), bound once. */
function seriesCache(system: string, pool: string) {
  const sets = new Map<string, BoundHistogram>();
  return (operation: string, sqlState?: string): BoundHistogram => {
    const key = `${operation} ${sqlState ?? ""}`;
    let series = sets.get(key);
    if (!series) {
      const attributes: Attributes = {
        "db.system.name": system,
        "db.client.connection.pool.name": pool,
        "db.operation.name": operation,
      };
      if (sqlState !== undefined)
        Object.assign(attributes, {
          "error.type": sqlState || "_OTHER",
          ...(sqlState ? { "db.response.status_code": sqlState } : {}),
        });
      series = duration.bind(attributes);
      // Operations and SQLSTATEs are few; the cap guards against a bug.
      if (sets.size < 1000) sets.set(key, series);
    }
    return series;
  };
}

/** The statement's first keyword (SELECT, INSERT…), or _OTHER: never the text itself. */
export function operationOf(query: unknown): string {
  if (typeof query !== "string") return "_OTHER";
  const word = /^\s*([A-Za-z]+)/.exec(query)?.[1]?.toUpperCase();
  return word && OPERATIONS.has(word) ? word : "_OTHER";
}

function sqlStateOf(error: unknown): string {
  for (let current = error, depth = 0; depth < 4 && current instanceof Error; depth++, current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return "";
}

type Client = Record<string, unknown>;

/** Wraps the database handle's client; the returned function stops reporting its gauges. */
export function instrumentDatabase(handle: DatabaseHandle, pool = "ground-control"): () => void {
  const client = (handle.db as unknown as { $client?: Client }).$client;
  if (!client) return () => {};
  const state = { operations: 0, transactions: 0 };
  const postgres = handle.driver === "postgres";
  const series = seriesCache("postgresql", pool);
  const measure = (operation: string) => {
    const started = performance.now();
    state.operations++;
    return (error?: unknown) => {
      state.operations--;
      series(operation, error === undefined ? undefined : sqlStateOf(error)).record(
        (performance.now() - started) / 1000,
      );
    };
  };
  if (postgres) wrapPostgres(client, measure, state);
  else wrapPglite(client, measure, state);
  const max = postgres ? Number((client.options as { max?: number } | undefined)?.max ?? 0) : 1;
  const poolAttributes = { "db.system.name": "postgresql", "db.client.connection.pool.name": pool };
  const stops = [
    poolMax.addCallback((r) => r.observe(max, poolAttributes)),
    activeOperations.addCallback((r) => r.observe(state.operations, poolAttributes)),
    activeTransactions.addCallback((r) => r.observe(state.transactions, poolAttributes)),
  ];
  return () => stops.forEach((stop) => stop());
}

type Measure = (operation: string) => (error?: unknown) => void;

/**
 * postgres.js: a query (a lazy Promise subclass) settles through its own `resolve`/`reject`
 * properties, so those are wrapped; the query runs exactly as before.
 */
function wrapPostgres(client: Client, measure: Measure, state: { transactions: number }): void {
  const unsafe = client.unsafe as (...args: unknown[]) => {
    resolve(value: unknown): void;
    reject(error: unknown): void;
  };
  client.unsafe = (...args: unknown[]) => {
    const query = unsafe(...args);
    const done = measure(operationOf(args[0]));
    const { resolve, reject } = query;
    query.resolve = (value: unknown) => (done(), resolve(value));
    query.reject = (error: unknown) => (done(error), reject(error));
    return query;
  };
  const begin = client.begin as ((...args: unknown[]) => Promise<unknown>) | undefined;
  if (!begin) return;
  client.begin = (...args: unknown[]) => {
    const last = args.length - 1;
    const body = args[last] as (tx: Client) => unknown;
    args[last] = (tx: Client) => {
      wrapPostgres(tx, measure, state);
      return body(tx);
    };
    state.transactions++;
    return begin(...args).finally(() => state.transactions--);
  };
}

/** PGlite: `query` returns a Promise; a transaction's queries go through its own `query`. */
function wrapPglite(client: Client, measure: Measure, state: { transactions: number }): void {
  const query = client.query as ((...args: unknown[]) => Promise<unknown>) | undefined;
  if (query) {
    client.query = (...args: unknown[]) => {
      const done = measure(operationOf(args[0]));
      return query.apply(client, args).then(
        (result) => (done(), result),
        (error: unknown) => {
          done(error);
          throw error;
        },
      );
    };
  }
  const transaction = client.transaction as ((body: (tx: Client) => unknown) => Promise<unknown>) | undefined;
  if (!transaction) return;
  client.transaction = (body: (tx: Client) => unknown) => {
    state.transactions++;
    return transaction
      .call(client, (tx: Client) => {
        wrapPglite(tx, measure, { transactions: 0 });
        return body(tx);
      })
      .finally(() => state.transactions--);
  };
}
