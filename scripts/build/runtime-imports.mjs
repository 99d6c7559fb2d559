// An esbuild plugin that decides, for every bare import the bundle makes, where it comes from:
// our workspace packages are bundled; `dependencies` of the root package.json stay external and
// are installed by `npm ci --omit=dev`; Node's builtins stay external. Anything else (a
// devDependency, or a package not declared at all) fails the build, so a production install can
// never meet an import it does not have.
import { builtinModules } from "node:module";

const WORKSPACE_SCOPE = "@harbor-satellite/";

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
export function packageNameOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** @param {{ dependencies: string[] }} options */
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
        if (dependencies.has(name)) return { path: args.path, external: true };
        return {
          errors: [{ text: `"${name}" is imported at run time but is not in package.json "dependencies": a production install (npm ci --omit=dev) would not have it` }],
        };
      });
    },
  };
}
