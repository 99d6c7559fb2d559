// A `ground-control` process on a free loopback port, pointed at a Harbor (the emulator), on
// PostgreSQL (`databaseUrl`) or on PGlite in `dataDir`; resolves once /healthz answers.
import { freePort } from "@harbor-satellite/testkit";
import { startProcess, waitForHttp, type RunningProcess } from "./processes.js";

export const HARBOR = { username: "admin", password: "Harbor12345" };

export interface GroundControlProcessOptions {
  harborUrl: string;
  adminPassword: string;
  /** PostgreSQL; without it, PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
}

export async function startGroundControlProcess(
  options: GroundControlProcessOptions,
): Promise<{ gc: RunningProcess; url: string }> {
  if (!options.databaseUrl && !options.dataDir)
    throw new Error("startGroundControlProcess: give databaseUrl or dataDir");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gc = startProcess(
    "ground-control",
    [
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      ...(options.dataDir ? ["--data-dir", options.dataDir] : []),
      ...(options.args ?? []),
    ],
    {
      DATABASE_URL: options.databaseUrl ?? "",
      HARBOR_URL: options.harborUrl,
      HARBOR_USERNAME: HARBOR.username,
      HARBOR_PASSWORD: HARBOR.password,
      ADMIN_PASSWORD: options.adminPassword,
      LOG_LEVEL: "warn",
      ...options.env,
    },
  );
  await waitForHttp(`${url}/healthz`, gc);
  return { gc, url };
}
