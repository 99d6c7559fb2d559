// The benches time our programs as the image and an install run them: the bundle under dist/,
// built now from the checkout, never the TypeScript sources through tsx (bin/launch.mjs would
// fall back to those whenever dist/ is older than a source file).
import { fileURLToPath } from "node:url";
import { run } from "./replication/harness.js";

/** Builds dist/ and makes every bin/ launcher this process starts run it. */
export async function useShippedBundle(): Promise<void> {
  const built = await run(process.execPath, [fileURLToPath(new URL("../scripts/build/main.mjs", import.meta.url))]);
  if (built.code !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
  process.env.HARBOR_SATELLITE_RUN = "bundle";
}
