// The unit project's global setup: runs the migrations on a new PGlite cluster once per test run
// and writes its dump to a temporary file, which vitest-setup.ts hands to every test file, so no
// test file pays initdb (several seconds each) for its databases.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { dumpMigratedCluster } from "./client.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "hs-pglite-template-"));
  const file = join(dir, "migrated.tar");
  await writeFile(file, new Uint8Array(await (await dumpMigratedCluster()).arrayBuffer()));
  project.provide("pgliteTemplate", file);
  return () => rm(dir, { recursive: true, force: true });
}
