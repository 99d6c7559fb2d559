// An esbuild plugin that decides, for every bare import the bundle makes, where it comes from.
// Our workspace packages are bundled. A third-party package our own code imports must be in the
// root package.json "dependencies" (a devDependency, or an undeclared package, fails the build,
// so a production install can never meet an import it does not have); it is bundled too, with
// what it imports in turn, except the packages in `external`: those load files relative to their
// own modules (PGlite's WASM and data, piscina's worker) or must stay one copy
// shared with packages loaded later (OpenTelemetry's API and SDK), and are installed by
// `npm ci --omit=dev` beside the bundle. Node's builtins stay external.
import { builtinModules } from "node:module";

const WORKSPACE_SCOPE = "@harbor-satellite/";

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
export function packageNameOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Whether `name` is named by one of `patterns` (`@scope/*` names a whole scope; `!name` excepts one). */
export function matches(name, patterns) {
  const named = (p) => (p.endsWith("/*") ? name.startsWith(p.slice(0, -1)) : name === p);
  return (
    patterns.some((p) => !p.startsWith("!") && named(p)) &&
    !patterns.some((p) => p.startsWith("!") && named(p.slice(1)))
  );
}

/** @param {{ dependencies: string[], external: string[] }} options */
export function runtimeImports(options) {
  const dependencies = new Set(options.dependencies);
  const builtins = new Set(builtinModules);
  return {
    name: "runtime-imports",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith("node:") || builtins.has(args.path)) return { path: args.path, external: true };
        if (args.path.startsWith(WORKSPACE_SCOPE)) return undefined;
        const name = packageNameOf(args.path);
        if (matches(name, options.external)) return { path: args.path, external: true };
        // Imports inside third-party packages are theirs to declare.
        if (args.importer.includes("/node_modules/")) return undefined;
        if (dependencies.has(name)) return undefined;
        return {
          errors: [
            {
              text: `"${name}" is imported at run time but is not in package.json "dependencies": a production install (npm ci --omit=dev) would not have it`,
            },
          ],
        };
      });
    },
  };
}
