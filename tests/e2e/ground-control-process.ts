// A `ground-control` process on a free loopback port, pointed at a Harbor (the emulator), on
// PostgreSQL (`databaseUrl`) or on PGlite in `dataDir`; resolves once /healthz answers (in SPIFFE
// mode, once an admin can log in over its mTLS).
import { freePort } from "@harbor-satellite/testkit";
import { adminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { eventually, GiveUp, startProcess, waitForHttp, type RunningProcess } from "./processes.js";
import type { SpiffeTrust } from "./spiffe-stack.js";

export const HARBOR = { username: "admin", password: "Harbor12345" };

export interface GroundControlProcessOptions {
  harborUrl: string;
  adminPassword: string;
  /** PostgreSQL; without it, PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Serve mTLS with an SVID from these SPIFFE fakes and register satellites with their SPIRE server. */
  spiffe?: SpiffeTrust;
}

export async function startGroundControlProcess(
  options: GroundControlProcessOptions,
): Promise<{ gc: RunningProcess; url: string }> {
  if (!options.databaseUrl && !options.dataDir)
    throw new Error("startGroundControlProcess: give databaseUrl or dataDir");
  const port = await freePort();
  const url = `${options.spiffe ? "https" : "http"}://127.0.0.1:${port}`;
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
      ...options.spiffe?.groundControlEnv,
      ...options.env,
    },
  );
  if (options.spiffe) await waitForMtls(url, gc, options.adminPassword, options.spiffe);
  else await waitForHttp(`${url}/healthz`, gc);
  return { gc, url };
}

async function waitForMtls(url: string, gc: RunningProcess, adminPassword: string, trust: SpiffeTrust): Promise<void> {
  await eventually(
    async () => {
      if (gc.proc.exitCode !== null) throw new GiveUp(`ground-control exited: ${gc.output()}`);
      await adminClients(url, adminPassword, trust.adminTls);
    },
    60_000,
    "ground-control answering over mTLS",
  );
}
