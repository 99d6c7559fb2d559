// Decides what a command runs: the bundle under dist/ (`npm run build`; what the image and an
// installed package run), or, in a checkout without a current build, the TypeScript sources
// through tsx. A build older than the sources it was made from is not used (a developer's stale
// dist/ must not run yesterday's code); HARBOR_SATELLITE_RUN=bundle|source forces either.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
/** Folders whose TypeScript goes into the bundle; absent outside a checkout. */
const SOURCE_ROOTS = ["services", "packages", "gen"];

/** The newest modification time of any source file under the checkout's source folders. */
function newestSourceMtime() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mts|mjs|js|sql)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const root of SOURCE_ROOTS) {
    const dir = fileURLToPath(new URL(root, ROOT));
    if (existsSync(dir)) walk(dir);
  }
  return newest;
}

function chooseBundle(bundle) {
  const forced = process.env.HARBOR_SATELLITE_RUN;
  if (forced === "source") return false;
  if (!existsSync(bundle)) {
    if (forced === "bundle")
      throw new Error(`HARBOR_SATELLITE_RUN=bundle but ${fileURLToPath(bundle)} does not exist: run npm run build`);
    return false;
  }
  if (forced === "bundle") return true;
  const stale = newestSourceMtime() > statSync(bundle).mtimeMs;
  if (stale)
    process.stderr.write(
      "note: dist/ is older than the sources, so the sources run (through tsx); npm run build refreshes it\n",
    );
  return !stale;
}

/**
 * Runs `main(argv)` of the named entry: `dist/<name>.mjs` or the TypeScript module at `source`
 * (repository-relative), and sets the exit code it returns.
 */
export async function launch(name, source) {
  const bundle = new URL(`dist/${name}.mjs`, ROOT);
  let entry;
  if (chooseBundle(bundle)) {
    entry = await import(bundle.href);
  } else {
    let tsx;
    try {
      tsx = await import("tsx/esm/api");
    } catch {
      process.stderr.write(
        `${name}: no build under dist/ and no tsx to run the sources: run npm run build (or npm ci with dev dependencies)\n`,
      );
      process.exitCode = 1;
      return;
    }
    tsx.register();
    entry = await import(new URL(source, ROOT).href);
  }
  process.exitCode = await entry.main(process.argv.slice(2));
}
