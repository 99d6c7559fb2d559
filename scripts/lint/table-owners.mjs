// Which Ground Control service owns each table (CONTRIBUTING.md, "Rules of the house"), by the
// export name of its drizzle schema object in @harbor-satellite/db. eslint.config.js turns this into
// a no-restricted-imports rule per service: a service's code imports only its own tables, and reads
// another owner's through the query module that owner exports (fleet's fleetSatellites,
// registry's findRobotCredentials…). Tests and test kits, which seed other owners' tables as
// fixtures, are exempt.

/** @type {Record<string, string>} table export name → owning service */
export const TABLE_OWNERS = {
  users: "identity",
  sessions: "identity",
  ztrTokens: "identity",
  configs: "fleet",
  groups: "fleet",
  satellites: "fleet",
  satelliteGroups: "fleet",
  outbox: "fleet",
  heartbeats: "heartbeat",
  robotAccounts: "registry",
  satelliteStateArtifacts: "registry",
};

/** The services with database code: the owners, and the gateway (which owns no table). */
export const DATABASE_SERVICES = ["fleet", "gateway", "heartbeat", "identity", "registry"];

/** Files the rule leaves alone: tests and the kits they seed databases with. */
export const TEST_FILES = [
  "**/*.test.ts",
  "**/*.it.ts",
  "**/testing.ts",
  "**/*-testing.ts",
  "**/test-*.ts",
  "**/testing/**",
];

/** One eslint config object per service, refusing other owners' tables. */
export function tableOwnershipConfigs() {
  return DATABASE_SERVICES.map((service) => {
    const foreign = Object.entries(TABLE_OWNERS).filter(([, owner]) => owner !== service);
    return {
      files: [`services/${service}/src/**/*.{ts,mts}`],
      ignores: TEST_FILES,
      rules: {
        "no-restricted-imports": [
          "error",
          {
            paths: foreign.map(([table, owner]) => ({
              name: "@harbor-satellite/db",
              importNames: [table],
              message: `${table} is the ${owner} service's table: read it through the query module @harbor-satellite/${owner} exports (CONTRIBUTING.md, table owners).`,
            })),
            patterns: [
              {
                group: ["**/db/src/**"],
                message: "Import the database package as @harbor-satellite/db (its tables are checked by owner there).",
              },
            ],
          },
        ],
      },
    };
  });
}
