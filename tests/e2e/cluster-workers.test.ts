// Ground Control with --workers: several processes share the port and one PostgreSQL; the
// primary migrates and creates the admin once; a signal stops every worker.
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startPostgres, type PostgresServer } from "@harbor-satellite/testkit";
import { adminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { startProcess, waitForHttp, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "cluster-admin-password";

function childPids(pid: number): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("ground-control --workers", () => {
  let pg: PostgresServer;
  let gc: RunningProcess;
  let url: string;
  beforeAll(async () => {
    pg = await startPostgres();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gc = startProcess("ground-control", ["--port", String(port), "--host", "127.0.0.1", "--workers", "2"], {
      DATABASE_URL: await pg.createDatabase("gc_cluster"),
      ADMIN_PASSWORD,
      LOG_LEVEL: "warn",
    });
    await waitForHttp(`${url}/healthz`, gc);
  });
  afterAll(async () => {
    await gc?.stop();
    await pg?.stop();
  });

  it("serves from two worker processes on one port and stops them all on SIGTERM", async () => {
    const workers = childPids(gc.proc.pid!);
    expect(workers).toHaveLength(2);
    // Many short connections are spread over the workers; each answers rpcs against the shared database.
    for (let i = 0; i < 6; i++) {
      const admin = await adminClients(url, ADMIN_PASSWORD);
      await admin.fleet.createGroup({ group: `g${i}`, artifacts: [{ repository: "apps/x", tags: ["1"] }] });
    }
    const admin = await adminClients(url, ADMIN_PASSWORD);
    expect((await admin.fleet.listGroups({})).groups.map((g) => g.name)).toEqual(["g0", "g1", "g2", "g3", "g4", "g5"]);
    expect(await gc.stop()).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
