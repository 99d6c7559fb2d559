// Table ownership (CONTRIBUTING.md): every table has an owning service, and the lint rule built
// from that list refuses another owner's table in a service's code while leaving its own, and the
// owner's query module, alone.
import { fileURLToPath } from "node:url";
import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { TABLE_OWNERS } from "../../../scripts/lint/table-owners.mjs";
import * as schema from "./schema/index.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}/${filePath}` });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("table owners", () => {
  it("names an owner for every table of the schema", () => {
    const tables = Object.entries(schema)
      .filter(([, value]) => is(value, PgTable))
      .map(([name]) => name)
      .sort();
    expect(tables).toEqual(Object.keys(TABLE_OWNERS).sort());
  });

  it("refuses another owner's table in a service's code, named or through a namespace import", async () => {
    const named = await restrictedImports(
      'import { heartbeats, robotAccounts, satellites } from "@harbor-satellite/db";\nexport const t = [heartbeats, robotAccounts, satellites];\n',
      "services/heartbeat/src/new-reader.ts",
    );
    expect(named).toHaveLength(2);
    expect(named[0]).toContain("robotAccounts is the registry service's table");
    expect(named[1]).toContain("satellites is the fleet service's table");

    const namespace = await restrictedImports(
      'import * as db from "@harbor-satellite/db";\nexport const t = db;\n',
      "services/gateway/src/new-reader.ts",
    );
    expect(namespace.length).toBeGreaterThan(0);
  });

  it("leaves an owner's own tables, the query modules and tests alone", async () => {
    expect(
      await restrictedImports(
        'import { outbox, satellites } from "@harbor-satellite/db";\nexport const t = [outbox, satellites];\n',
        "services/fleet/src/new-query.ts",
      ),
    ).toEqual([]);
    expect(
      await restrictedImports(
        'import { fleetSatellites } from "@harbor-satellite/fleet";\nexport const t = fleetSatellites;\n',
        "services/heartbeat/src/new-reader.ts",
      ),
    ).toEqual([]);
    expect(
      await restrictedImports(
        'import { satellites } from "@harbor-satellite/db";\nexport const t = satellites;\n',
        "services/heartbeat/src/new-reader.test.ts",
      ),
    ).toEqual([]);
  });

  it("opens another service's package to a service only for its query modules", async () => {
    const internals = await restrictedImports(
      'import { createFleetModule, fleetSatellites } from "@harbor-satellite/fleet";\nexport const t = [createFleetModule, fleetSatellites];\n',
      "services/heartbeat/src/new-reader.ts",
    );
    expect(internals).toHaveLength(1);
    expect(internals[0]).toContain("createFleetModule");
    expect(internals[0]).toContain("only its query modules");
    expect(
      await restrictedImports(
        'import { createFleetModule } from "@harbor-satellite/fleet";\nexport const t = createFleetModule;\n',
        "services/gateway/src/new-module.ts",
      ),
    ).toEqual([]);
  });
});
