// Two projects: `unit` runs in-process tests (PGlite, in-memory transports, temp dirs) and is what
// `npm test` runs on a fresh machine; `integration` needs real servers from Debian packages
// (PostgreSQL 15, docker-registry, skopeo, containerd's ctr) and is run by `.ci/run`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"],
          // One migrated PGlite cluster per run, which test databases load instead of running initdb.
          globalSetup: ["packages/db/src/vitest-global-setup.ts"],
          setupFiles: ["packages/db/src/vitest-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
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
