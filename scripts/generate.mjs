// Regenerates gen/ from proto/ with buf.gen.yaml. Generated folders are removed first so a deleted
// .proto leaves no stale output; the hand-written files are kept: gen/package.json (which makes
// gen/ a workspace package) and the files at the top of the Go module gen/go (go.mod, README.md).
//
// The Go plugins (protoc-gen-go, protoc-gen-go-grpc) are Debian packages, not npm ones. Without
// them TypeScript is still generated, gen/go is left as it is, and this says so; with CI set (or
// --require-go), as in .ci/run, missing plugins are an error, so CI's freshness check covers gen/go.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { parse } from "yaml";

const root = new URL("../", import.meta.url).pathname;
const genDir = join(root, "gen");
const goDir = join(genDir, "go");
/** The versions Debian 12 ships and CI installs; others generate different files. */
const GO_PLUGIN_VERSIONS = { "protoc-gen-go": "protoc-gen-go v1.28.1", "protoc-gen-go-grpc": "protoc-gen-go-grpc 1.0" };

const ci = !["", "0", "false"].includes((process.env.CI ?? "").toLowerCase());
const requireGo = ci || process.argv.includes("--require-go");

const template = parse(readFileSync(join(root, "buf.gen.yaml"), "utf8"));
const isGo = (plugin) => plugin.out === "gen/go" || plugin.out.startsWith("gen/go/");
const goPlugins = template.plugins.filter(isGo).map((plugin) => plugin.local);
const missing = goPlugins.filter((name) => !onPath(name));
const withGo = missing.length === 0;

if (withGo) {
  checkGoModulePath();
  // Checked before anything is removed: another version writes other files (an old protoc-gen-go
  // fails half-way, after gen/ was cleared), so it is refused rather than warned about.
  for (const name of goPlugins) {
    const version = pluginVersion(name);
    if (GO_PLUGIN_VERSIONS[name] && version !== GO_PLUGIN_VERSIONS[name]) {
      console.error(
        `generate: ${name} on PATH is ${JSON.stringify(version)}, not ${GO_PLUGIN_VERSIONS[name]} (Debian 12's, which CI uses); ` +
          "gen/ is left as it is (Debian: apt-get install protoc-gen-go protoc-gen-go-grpc)",
      );
      process.exit(1);
    }
  }
} else if (requireGo) {
  console.error(
    `generate: ${missing.join(" and ")} not found on PATH, and ${ci ? "CI is set" : "--require-go was given"}: ` +
      "install them (Debian: apt-get install protoc-gen-go protoc-gen-go-grpc) to generate gen/go",
  );
  process.exit(1);
} else {
  console.warn(
    `generate: ${missing.join(" and ")} not found on PATH: generating TypeScript only, gen/go left as it is ` +
      "(Debian: apt-get install protoc-gen-go protoc-gen-go-grpc; CI requires them)",
  );
}

for (const entry of readdirSync(genDir, { withFileTypes: true })) {
  if (entry.isDirectory() && entry.name !== "go") rmSync(join(genDir, entry.name), { recursive: true, force: true });
}
if (withGo) {
  // Generated Go packages are folders; the module's own files sit at its top and are kept.
  for (const entry of readdirSync(goDir, { withFileTypes: true })) {
    if (entry.isDirectory()) rmSync(join(goDir, entry.name), { recursive: true, force: true });
  }
}

const args = ["--no-install", "buf", "generate"];
if (!withGo)
  args.push("--template", JSON.stringify({ ...template, plugins: template.plugins.filter((p) => !isGo(p)) }));
execFileSync("npx", args, { stdio: "inherit", cwd: root });

/** A plugin's `--version` line; what an old plugin that has no such flag prints otherwise. */
function pluginVersion(name) {
  try {
    return execFileSync(name, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    return `unknown (${
      String(error.stderr ?? error.message)
        .trim()
        .split("\n")[0]
    })`;
  }
}

function onPath(name) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** buf.gen.yaml's go_package_prefix must be gen/go's module path, or the imports would not resolve. */
function checkGoModulePath() {
  const goMod = join(goDir, "go.mod");
  if (!existsSync(goMod)) throw new Error(`${goMod} is missing: it is hand-written, restore it from git`);
  const module = /^module\s+(\S+)/m.exec(readFileSync(goMod, "utf8"))?.[1];
  const prefix = template.managed?.override?.find((o) => o.file_option === "go_package_prefix")?.value;
  if (module !== prefix)
    throw new Error(`buf.gen.yaml's go_package_prefix (${prefix}) is not gen/go/go.mod's module path (${module})`);
}
