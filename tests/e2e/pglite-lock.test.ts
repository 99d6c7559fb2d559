// Hardening (issue 8): two `ground-control` processes on one embedded (PGlite) data dir. Both used
// to start, each seeing only its own writes, and acknowledged writes were lost once both stopped.
// Now the second refuses with one line naming the dir and the holder's pid and exits non-zero
// while the first keeps serving; after the first is killed -9, a new one takes the dir over.
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@harbor-satellite/testkit";
import { startProcess, waitForHttp, type RunningProcess } from "./processes.js";

const ADMIN_PASSWORD = "e2e-pglite-lock-password";

/** A unary Connect call with JSON, as any HTTP client can make it. */
async function call(
  url: string,
  method: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/harbor.satellite.${method}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function login(url: string): Promise<string> {
  const res = await call(url, "identity.v1.IdentityService/Login", { username: "admin", password: ADMIN_PASSWORD });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.sessionToken as string;
}

async function exitOf(proc: RunningProcess): Promise<number | null> {
  if (proc.proc.exitCode !== null || proc.proc.signalCode !== null) return proc.proc.exitCode;
  return new Promise((resolve) => proc.proc.once("exit", (code) => resolve(code)));
}

describe("two ground-control processes on one PGlite data dir", () => {
  let work: string;
  let dataDir: string;
  const started: RunningProcess[] = [];

  const startGc = async (): Promise<{ gc: RunningProcess; url: string }> => {
    const port = await freePort();
    const gc = startProcess("ground-control", ["--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir], {
      ADMIN_PASSWORD,
      LOG_LEVEL: "warn",
      DATABASE_URL: "",
    });
    started.push(gc);
    return { gc, url: `http://127.0.0.1:${port}` };
  };

  beforeAll(async () => {
    work = await realpath(await mkdtemp(join(tmpdir(), "pglite-lock-e2e-")));
    dataDir = join(work, "data");
  });

  afterAll(async () => {
    await Promise.all(started.map((gc) => gc.stop()));
    await rm(work, { recursive: true, force: true });
  });

  it("refuses the second with one clear line while the first keeps answering, and a kill -9'd holder's lock is taken over", async () => {
    const first = await startGc();
    await waitForHttp(`${first.url}/healthz`, first.gc);
    const token = await login(first.url);
    const created = await call(first.url, "fleet.v1.FleetService/CreateSatellite", { satellite: "edge-before" }, token);
    expect(created.status, JSON.stringify(created.body)).toBe(200);

    const second = await startGc();
    expect(await exitOf(second.gc)).toBe(1);
    const lines = second.gc.output().trim().split("\n");
    const pglite = join(dataDir, "pglite");
    expect(lines).toContain(
      `ground-control: database directory ${pglite} is in use by process ${first.gc.proc.pid}: stop that Ground Control first or give this one another --data-dir (one process per data dir; if no such process runs, remove ${pglite}.lock)`,
    );
    expect(second.gc.output()).not.toMatch(/^\s+at /m); // a message, not a stack trace

    // The first was not disturbed: it still reads and writes.
    await waitForHttp(`${first.url}/healthz`, first.gc);
    expect(
      (await call(first.url, "fleet.v1.FleetService/CreateSatellite", { satellite: "edge-during" }, token)).status,
    ).toBe(200);

    first.gc.proc.kill("SIGKILL");
    expect(await exitOf(first.gc)).toBeNull();

    const third = await startGc();
    await waitForHttp(`${third.url}/healthz`, third.gc);
    const listed = await call(third.url, "fleet.v1.FleetService/ListSatellites", {}, await login(third.url));
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const names = (listed.body.satellites as Array<{ name: string }>).map((s) => s.name).sort();
    expect(names).toEqual(["edge-before", "edge-during"]);
    expect(await third.gc.stop()).toBe(0);
  });
});
