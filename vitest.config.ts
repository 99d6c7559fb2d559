// Three projects: `unit` and `unit-isolated` run in-process tests (PGlite, in-memory transports,
// temp dirs) and are what `npm test` runs on a fresh machine; `integration` needs real servers
// from Debian packages (PostgreSQL 15, docker-registry, skopeo, containerd's ctr) and is run by
// `.ci/run`.
import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

const UNIT = ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"];
/**
 * Unit tests that install OpenTelemetry's global providers, or record through instruments made
 * under them: each runs in a fresh module graph (`unit-isolated`), as a provider or instrument
 * left by one file would show up in the next file's figures.
 */
const GLOBAL_TELEMETRY = [
  "packages/telemetry/src/**/*.test.ts",
  "packages/harbor/src/client.test.ts",
  "{packages,services}/*/src/**/*-metrics.test.ts",
  "{packages,services}/*/src/**/metrics/**/*.test.ts",
  "{packages,services}/*/src/**/*-spans.test.ts",
];

const unit = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // One migrated PGlite cluster per run, which test databases load instead of running initdb.
  globalSetup: ["packages/db/src/vitest-global-setup.ts"],
  setupFiles: ["packages/db/src/vitest-setup.ts"],
};

export default defineConfig({
  test: {
    // Two test files per core (vitest's default is one fewer than the cores: a single worker on a
    // 2-core machine): most unit tests wait on sockets and timers rather than the CPU. At most 8,
    // each worker holding its own PGlite databases.
    maxWorkers: Math.min(8, 2 * availableParallelism()),
    projects: [
      {
        test: {
          name: "unit",
          include: UNIT,
          exclude: [...configDefaults.exclude, ...GLOBAL_TELEMETRY],
          // Test files share each worker's module graph: loading PGlite (its WebAssembly), Connect
          // and the services once per worker rather than once per file halves npm test's CPU time.
          isolate: false,
          ...unit,
        },
      },
      {
        test: {
          name: "unit-isolated",
          include: GLOBAL_TELEMETRY,
          ...unit,
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/**/*.test.ts", "packages/*/src/**/*.it.ts", "services/*/src/**/*.it.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
