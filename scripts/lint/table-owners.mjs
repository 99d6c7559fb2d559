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

/**
 * What each owner exports for other services: its query modules (CONTRIBUTING.md). A service other
 * than the gateway (the composition root, which starts every module) imports another service's
 * package only for these names; anything else of another service goes through its gen/ client.
 */
export const QUERY_MODULE_EXPORTS = {
  fleet: [
    "fleetSatellites",
    "groupIdByName",
    "readDesiredStates",
    "requestRobotSyncs",
    "satelliteIdByName",
    "satelliteInGroup",
    "satelliteNameById",
    "satellitePublishPending",
    "SatelliteDesiredState",
  ],
  registry: [
    "confirmRobotRotation",
    "findRobotCredentials",
    "recordRobotRotation",
    "robotSecretHashes",
    "robotSecretHashesOf",
    "storedSatelliteStates",
  ],
  identity: [],
  heartbeat: [],
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
            paths: [
              ...foreign.map(([table, owner]) => ({
                name: "@harbor-satellite/db",
                importNames: [table],
                message: `${table} is the ${owner} service's table: read it through the query module @harbor-satellite/${owner} exports (CONTRIBUTING.md, table owners).`,
              })),
              ...otherServices(service),
            ],
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

/** Another service's package, open only for its query modules (none from the gateway's view: it composes them). */
function otherServices(service) {
  if (service === "gateway") return [];
  return Object.entries(QUERY_MODULE_EXPORTS)
    .filter(([owner]) => owner !== service)
    .map(([owner, names]) => ({
      name: `@harbor-satellite/${owner}`,
      allowImportNames: names,
      message: `from another service only its query modules (${names.join(", ") || "none"}); call the rest through its gen/ client (CONTRIBUTING.md, table owners).`,
    }));
}
