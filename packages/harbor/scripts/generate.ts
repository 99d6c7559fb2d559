// Regenerates src/generated/harbor-api.ts from Harbor's swagger (see src/codegen.ts).
import { writeFile } from "node:fs/promises";
import { generateHarborApiTypes, generatedTypesPath } from "../src/codegen.js";

await writeFile(generatedTypesPath, await generateHarborApiTypes());
console.log(`wrote ${generatedTypesPath}`);
