#!/usr/bin/env node
// `npm run build`: bundles Ground Control, the satellite CLI and the worker scripts into plain
// JavaScript under dist/ with esbuild (already what tsx runs on, so the bundle is compiled by the
// same compiler the checkout runs; tsup would add only declaration files we do not publish).
// Third-party packages are bundled too, but for those that load files relative to their own
// modules or must stay one shared copy (entries.mjs EXTERNAL), installed by `npm ci --omit=dev`:
// Node spends most of a start-up resolving and reading hundreds of small CommonJS files, which
// one bundle avoids. Shared code between entries goes into chunks, and lazy imports stay lazy,
// so `satellite --help` parses only what it needs.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ASSETS, ENTRIES, EXTERNAL } from "./entries.mjs";
import { runtimeImports } from "./runtime-imports.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** `--outdir DIR` builds elsewhere than dist/ (CI's image check builds into a temp folder). */
function outdirFrom(argv) {
  const i = argv.indexOf("--outdir");
  return i >= 0 && argv[i + 1] ? resolve(argv[i + 1]) : join(ROOT, "dist");
}

async function main() {
  const DIST = outdirFrom(process.argv.slice(2));
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  await rm(DIST, { recursive: true, force: true });
  await mkdir(DIST, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES.map((e) => ({ out: e.out, in: e.in })),
    outdir: DIST,
    outExtension: { ".js": ".mjs" },
    // Flat: code in a chunk resolves worker scripts (./blob-fetch-worker.mjs) beside itself.
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    // The bundle knows it is one (the database finds its migrations beside it).
    define: { "globalThis.HARBOR_SATELLITE_BUNDLE": "true" },
    // CommonJS packages in an ES module bundle call require() for Node's builtins; esbuild's shim
    // throws "Dynamic require … is not supported" unless a real require is in scope.
    banner: {
      js: 'import { createRequire as __bundleCreateRequire } from "node:module";\nconst require = __bundleCreateRequire(import.meta.url);',
    },
    plugins: [runtimeImports({ dependencies: Object.keys(pkg.dependencies ?? {}), external: EXTERNAL })],
  });
  for (const asset of ASSETS) await cp(join(ROOT, asset.from), join(DIST, asset.to), { recursive: true });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  await writeFile(
    join(DIST, "build-info.json"),
    `${JSON.stringify({ version: pkg.version, builtAt: new Date().toISOString(), entries: ENTRIES.map((e) => `${e.out}.mjs`) }, null, 2)}\n`,
  );
  process.stdout.write(
    `${DIST}: ${ENTRIES.map((e) => `${e.out}.mjs`).join(", ")} (${(bytes / 1e6).toFixed(1)} MB with chunks and maps)\n`,
  );
}

main().catch((error) => {
  // esbuild has already printed its errors in full.
  if (!error?.errors) process.stderr.write(`build failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
