// What `npm run build` bundles, and where each entry lands under dist/. Entries are the
// commands and every script loaded by file name at run time (worker threads): a worker's URL is
// resolved next to the module that starts it, which in the bundle is dist/ itself.

/** Bundle entries: `out` (under dist/, without .mjs) ← `in` (repository-relative source). */
export const ENTRIES = [
  { out: "ground-control", in: "services/gateway/src/main.ts" },
  { out: "satellite", in: "services/satellite/src/cli/main.ts" },
  { out: "groundctl", in: "services/groundctl/src/main.ts" },
  { out: "blob-fetch-worker", in: "services/satellite/src/replication/blob-fetch-worker.mjs" },
];

/** Folders copied beside the bundle, read at run time relative to it (database migrations). */
export const ASSETS = [{ from: "packages/db/drizzle", to: "drizzle" }];

/**
 * Packages kept out of the bundle, installed beside it: they load files relative to their own
 * modules, or must stay a single copy shared with what loads them later (OpenTelemetry's API: a
 * tracer taken from a second copy before the SDK starts would stay a no-op), or (yaml, for
 * groundctl) are CommonJS that require() Node's builtins, which an ESM bundle has no require() for.
 * pino is bundled (~10 ms of every start, `satellite sync --once` included): we log to a stream
 * and use none of its transports, the one part that loads files by path (its worker thread).
 */
export const EXTERNAL = ["@electric-sql/pglite", "piscina", "@opentelemetry/*", "@grpc/grpc-js", "yaml"];
