// The unit project's setup file (in every test file): in-memory databases and test Ground
// Controls start from the migrated cluster vitest-global-setup.ts dumped for this run.
import { inject } from "vitest";
import { useMemoryTemplate } from "./memory-template.js";

useMemoryTemplate(inject("pgliteTemplate"));
