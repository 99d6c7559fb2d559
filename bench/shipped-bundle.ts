// The benches time our programs as the image and an install run them: the bundle under dist/,
// built now from the checkout, never the TypeScript sources through tsx (bin/launch.mjs would
// fall back to those whenever dist/ is older than a source file), and in the environment the
// image gives them.
import { fileURLToPath } from "node:url";
import { run } from "./replication/harness.js";

/** Builds dist/ and makes every bin/ launcher this process starts run it (and useImageEnvironment). */
export async function useShippedBundle(): Promise<void> {
  const built = await run(process.execPath, [fileURLToPath(new URL("../scripts/build/main.mjs", import.meta.url))]);
  if (built.code !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
  process.env.HARBOR_SATELLITE_RUN = "bundle";
  useImageEnvironment();
}

const keepHostEnvironment = process.env.BENCH_KEEP_ENV === "1";

/**
 * Removes from the environment the children inherit what the image does not set and this machine
 * does, and says so on stdout (a `#` line, as the benches' other notes).
 *
 * NODE_EXTRA_CA_CERTS: this machine's shell exports it (the whole system bundle, 220 kB of PEM,
 * for its own proxy), and Node 20 then parses that file and builds an X.509 store in every process
 * before any JavaScript runs (Node < 23 does it eagerly): 50 ms of each start here (`satellite sync
 * --help` 122 → 69 ms). The image does not set it, and the satellite takes its CAs from
 * `--ca-file`; no peer reads it. BENCH_KEEP_ENV=1 keeps it.
 */
export function useImageEnvironment(): void {
  if (keepHostEnvironment || process.env.NODE_EXTRA_CA_CERTS === undefined) return;
  delete process.env.NODE_EXTRA_CA_CERTS;
  console.log("# environment as the image's: NODE_EXTRA_CA_CERTS removed (BENCH_KEEP_ENV=1 keeps it)");
}

/** What leads a bench's last line when the host's environment was kept: figures not to compare. */
export const environmentLabel = (): string[] => (keepHostEnvironment ? ["env=host"] : []);
