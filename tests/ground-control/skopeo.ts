// skopeo as a satellite's stand-in registry client: its exit status and output, never thrown.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const run = promisify(execFile);

export async function skopeo(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("skopeo", args, { timeout: 60_000 });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
