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
 * modules (PGlite, piscina), or are loaded later and only when configured (the OpenTelemetry SDK
 * and exporters), or (yaml, for groundctl) are CommonJS that require() Node's builtins, which an
 * ESM bundle has no require() for. `!name` bundles one package of an external scope.
 *
 * Bundled on purpose, each ~10 ms of every start (`satellite sync --once` included):
 * - pino: we log to a stream and use none of its transports, the one part that loads files by path;
 * - the OpenTelemetry API: the SDK registers through its own copy in node_modules, and the API is
 *   built for several copies (globals under a versioned Symbol.for key, context keys by
 *   Symbol.for). The one hazard, a tracer or meter taken from this copy before the SDK starts,
 *   does not arise: ours are taken at each use (telemetry/spans.ts, metrics/instruments.ts), and
 *   tests/e2e/traces.test.ts checks the spans and log trace ids the bundle exports.
 */
export const EXTERNAL = [
  "@electric-sql/pglite",
  "piscina",
  "@opentelemetry/*",
  "!@opentelemetry/api",
  "@grpc/grpc-js",
  "yaml",
];
