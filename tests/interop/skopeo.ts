// Runs Debian's skopeo 1.9.3 with its own signature policy (accept anything: these are local
// test images) so the host's /etc/containers settings never decide a test's outcome.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const SKOPEO_BIN = process.env.SKOPEO_BIN ?? "/usr/bin/skopeo";

export interface Skopeo {
  (...args: string[]): Promise<string>;
}

/** A skopeo runner whose policy file lives in `workDir`. */
export async function skopeo(workDir: string): Promise<Skopeo> {
  const policy = join(workDir, "policy.json");
  await writeFile(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  return async (...args: string[]) => {
    try {
      const { stdout } = await run(SKOPEO_BIN, ["--policy", policy, ...args], {
        maxBuffer: 64 << 20,
        timeout: 120_000,
      });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`skopeo ${args.join(" ")}: ${e.stderr || e.message}`, { cause: error });
    }
  };
}
