// `buf curl` against the gateway, as an operator would call it (server reflection, gRPC over h2c).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { REPO_ROOT } from "./processes.js";

const run = promisify(execFile);

export interface CurlResult {
  ok: boolean;
  body: Record<string, unknown>;
  /** The error code buf curl reports ("invalid_argument", "not_found", …) when not ok. */
  code?: string;
  message?: string;
}

export async function bufCurl(baseUrl: string, method: string, body: unknown, token?: string): Promise<CurlResult> {
  const args = [
    "--no-install",
    "buf",
    "curl",
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    "-d",
    JSON.stringify(body),
  ];
  if (token) args.push("-H", `Authorization: Bearer ${token}`);
  args.push(`${baseUrl}/${method}`);
  try {
    const { stdout } = await run("npx", args, { cwd: REPO_ROOT });
    return { ok: true, body: stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {} };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "");
    const parsed = /\{[\s\S]*\}/.exec(stderr);
    const err = parsed ? (JSON.parse(parsed[0]) as { code?: string; message?: string }) : {};
    return { ok: false, body: {}, code: err.code ?? "unknown", message: err.message ?? stderr };
  }
}
