// Regenerates gen/ from proto/. Generated folders are removed first so a deleted .proto leaves no
// stale output; gen/package.json (which makes gen/ a workspace package) is kept.
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const genDir = new URL("../gen/", import.meta.url).pathname;
for (const entry of readdirSync(genDir, { withFileTypes: true })) {
  if (entry.isDirectory()) rmSync(join(genDir, entry.name), { recursive: true, force: true });
}
execFileSync("npx", ["--no-install", "buf", "generate"], { stdio: "inherit", cwd: join(genDir, "..") });
