#!/usr/bin/env node
// Assembles what a production install holds, into DEST: the bundle (dist/), the launchers
// (bin/), package.json and the lock, and each workspace's package.json (npm ci links the
// workspaces the lock names; their sources are in the bundle, so only the manifests are needed).
// `npm ci --omit=dev` in DEST then installs the runtime dependencies. The Dockerfile's build stage
// and CI's image-contents check both run this, so CI proves the files the image holds.
//   node scripts/build/assemble-runtime.mjs DEST [--dist DIR]   (DIR: a build made with --outdir)
import { cp, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** Copied whole. */
export const RUNTIME_PATHS = ["package.json", "package-lock.json", "bin", "dist"];

/** package.json of every workspace the root package.json declares. */
export async function workspaceManifests(root = ROOT) {
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  const found = [];
  for (const pattern of pkg.workspaces ?? []) {
    const dirs = pattern.endsWith("/*")
      ? (await readdir(join(root, pattern.slice(0, -2)), { withFileTypes: true }))
          .filter((d) => d.isDirectory())
          .map((d) => join(pattern.slice(0, -2), d.name))
      : [pattern];
    for (const dir of dirs)
      if (await stat(join(root, dir, "package.json")).catch(() => undefined)) found.push(join(dir, "package.json"));
  }
  return found;
}

export async function assembleRuntime(dest, options = {}) {
  const root = options.root ?? ROOT;
  const dist = options.dist ?? join(root, "dist");
  if (!(await stat(join(dist, "build-info.json")).catch(() => undefined)))
    throw new Error(`no build in ${dist}: run npm run build first`);
  for (const path of [...RUNTIME_PATHS, ...(await workspaceManifests(root))]) {
    await mkdir(dirname(join(dest, path)), { recursive: true });
    await cp(path === "dist" ? dist : join(root, path), join(dest, path), { recursive: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dest, flag, dist] = process.argv.slice(2);
  if (!dest || (flag !== undefined && (flag !== "--dist" || !dist))) {
    process.stderr.write("usage: node scripts/build/assemble-runtime.mjs DEST [--dist DIR]\n");
    process.exit(2);
  }
  assembleRuntime(dest, { dist }).then(
    () => process.stdout.write(`runtime files assembled in ${dest}; next: npm ci --omit=dev there\n`),
    (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
