// A real `ground-control` process for the listener's hardening tests: embedded database (PGlite)
// in a temp folder, a free loopback port, and an open-file limit of the test's choosing, set by
// the shell (`ulimit -n`) before it execs Node, so the limit is the process's own.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { freePort } from "@harbor-satellite/testkit";
import { REPO_ROOT, waitForHttp, type RunningProcess } from "./processes.js";

export interface GatewayProcess extends RunningProcess {
  url: string;
  port: number;
  /** The soft open-file limit the process runs under, read from /proc. */
  fileLimit(): Promise<number>;
  /** Whether the process is still running. */
  alive(): boolean;
}

export async function startGatewayProcess(options: {
  fileLimit: number;
  args: string[];
  adminPassword: string;
}): Promise<GatewayProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-gc-conn-"));
  const port = await freePort();
  const argv = [
    `${REPO_ROOT}bin/ground-control.mjs`,
    "--port",
    String(port),
    "--host",
    "127.0.0.1",
    "--data-dir",
    dataDir,
    ...options.args,
  ];
  const proc = spawn("sh", ["-c", `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, process.execPath, ...argv], {
    cwd: REPO_ROOT,
    env: { ...process.env, ADMIN_PASSWORD: options.adminPassword, LOG_LEVEL: "warn", DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-200_000));
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const running: GatewayProcess = {
    proc,
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => out,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async fileLimit() {
      const limits = await readFile(`/proc/${proc.pid}/limits`, "utf8");
      return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    },
    async stop(signal = "SIGTERM") {
      if (running.alive()) {
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await new Promise((r) => proc.once("exit", r));
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
  await waitForHttp(`${running.url}/healthz`, running);
  return running;
}

/**
 * Logs in as admin over Connect JSON on HTTP/1.1, from `localAddress`, on a new connection (a
 * kept-alive one would hide a listener that accepts no more); resolves with the session token.
 */
export async function adminLogin(url: string, password: string, localAddress = "127.0.0.1"): Promise<string> {
  const transport = createConnectTransport({
    baseUrl: url,
    httpVersion: "1.1",
    nodeOptions: { localAddress, agent: false },
  });
  const { sessionToken } = await createClient(IdentityService, transport).login({ username: "admin", password });
  return sessionToken;
}

/** GET /healthz from `localAddress` over a new connection; resolves with the status. */
export async function health(url: string, localAddress = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { localAddress, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}
