// Fails when src/generated/harbor-api.ts no longer matches what the generator makes from Harbor's
// swagger (the swagger changed, or someone edited the generated file): run the generator again.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generateHarborApiTypes, generatedTypesPath } from "./codegen.js";

describe("generated Harbor types", () => {
  it("match a fresh generation from the swagger (else: npm run generate -w @harbor-satellite/harbor)", async () => {
    const committed = await readFile(generatedTypesPath, "utf8");
    const fresh = await generateHarborApiTypes();
    expect(committed === fresh, "src/generated/harbor-api.ts is stale").toBe(true);
  });
});
