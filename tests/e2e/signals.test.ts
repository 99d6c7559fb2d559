// SIGTERM sent to the node process itself, as an orchestrator sends it: Ground Control, `satellite
// serve`, `satellite sync --once` and the agent each stop accepting, finish or abort what is in
// flight, close their store or database, and exit within 10 s (0 for the servers and the agent;
// 1 for an interrupted one-shot pass, which says so). Nothing half-written is visible after: the
// store passes `serve --verify`, its ingest/ holds nothing, and the next pass completes.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { connect as connectH2 } from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarborClient } from "@harbor-satellite/harbor";
import {
  buildImage,
  freePort,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { adminClients } from "./agent-helpers.js";
import { eventually, REPO_ROOT, startProcess, waitForHttp, type RunningProcess } from "./processes.js";
import { HARBOR } from "./ground-control-process.js";

const run = promisify(execFile);
const ADMIN_PASSWORD = "signals-admin-password";
const LAYER = 100 << 20;

/** Sends SIGTERM to the node process and returns its exit code and how long it took. */
async function terminate(p: RunningProcess): Promise<{ code: number | null; seconds: number }> {
  const started = performance.now();
  const exited = new Promise<number | null>((resolve) => p.proc.once("exit", resolve));
  p.proc.kill("SIGTERM");
  const code = await exited;
  return { code, seconds: (performance.now() - started) / 1000 };
}

async function verifyStore(dataDir: string): Promise<string> {
  const { stdout } = await run(process.execPath, [
    join(REPO_ROOT, "bin/satellite.mjs"),
    "serve",
    "--data-dir",
    dataDir,
    "--verify",
  ]);
  return stdout;
}

const du = async (dir: string): Promise<number> => {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []))
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  return total;
};

describe("SIGTERM to the node process", () => {
  let work: string;
  let blobs: string;
  let upstream: DockerRegistry;
  let big: SyntheticImage;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "signals-"));
    blobs = await makeBlobDir();
    upstream = await startDockerRegistry({ dir: join(work, "upstream") });
    big = await buildImage({ layerSizes: [LAYER, LAYER, LAYER, LAYER], dir: blobs, labels: { test: "signals" } });
    await pushImage(upstream.url, "library/big", "1", big);
  });

  afterAll(async () => {
    await upstream?.stop();
    if (blobs) await removeBlobDir(blobs);
    await rm(work, { recursive: true, force: true });
  });

  it("Ground Control: drains open HTTP/1.1 and HTTP/2 connections, closes its database, exits 0", async () => {
    const dataDir = join(work, "gc");
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ADMIN_PASSWORD, LOG_LEVEL: "info", HARBOR_URL: "" };
    const gc = startProcess(
      "ground-control",
      ["--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir],
      env,
    );
    await waitForHttp(`${url}/healthz`, gc);
    const admin = await adminClients(url, ADMIN_PASSWORD);
    await admin.fleet.createSatellite({ satellite: "kept", region: "lab" });
    // An idle keep-alive connection and an h2c session that stay open.
    const idle = connect(port, "127.0.0.1");
    idle.on("error", () => undefined);
    idle.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const session = connectH2(url);
    session.on("error", () => undefined);
    await new Promise((r) => setTimeout(r, 300));

    const { code, seconds } = await terminate(gc);
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(10);
    expect(gc.output()).toMatch(/shutting down/);
    idle.destroy();
    session.destroy();

    // The database was closed cleanly: the next start takes the dir at once and has the data.
    const next = startProcess(
      "ground-control",
      ["--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir],
      env,
    );
    try {
      await waitForHttp(`${url}/healthz`, next);
      const again = await adminClients(url, ADMIN_PASSWORD);
      expect((await again.fleet.getSatellite({ satellite: "kept" })).satellite?.name).toBe("kept");
    } finally {
      expect((await terminate(next)).code).toBe(0);
    }
  });

  it("satellite serve: an upload in flight is dropped with its temp file, exits 0, the store verifies", async () => {
    const dataDir = join(work, "serve");
    const port = await freePort();
    const serve = startProcess("satellite", ["serve", "--data-dir", dataDir, "--addr", `127.0.0.1:${port}`], {
      LOG_LEVEL: "info",
    });
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, serve);
    const start = await fetch(`http://127.0.0.1:${port}/v2/app/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get("location")!, `http://127.0.0.1:${port}`);
    const chunk = await fetch(location, {
      method: "PATCH",
      body: Buffer.alloc(1 << 20, 7),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(chunk.status).toBe(202);
    expect((await readdir(join(dataDir, "ingest"))).length, "the upload's temp file").toBeGreaterThan(0);

    const { code, seconds } = await terminate(serve);
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(10);
    expect(await readdir(join(dataDir, "ingest"))).toEqual([]);
    expect(await verifyStore(dataDir)).toMatch(/ok=true/);
  });

  it("satellite sync --once: SIGTERM mid-copy of 4×100 MB stops within 10 s, keeps a store that verifies, and the next pass completes", async () => {
    const dataDir = join(work, "sync");
    const args = [
      "sync",
      "--once",
      "--upstream",
      upstream.url,
      "--image",
      "library/big:1",
      "--data-dir",
      dataDir,
      "--log-level",
      "warn",
    ];
    const sync = startProcess("satellite", args, {});
    // Wait until bytes are arriving, then interrupt.
    await eventually(
      async () => {
        if ((await du(join(dataDir, "ingest"))) < 20 << 20) throw new Error("not copying yet");
      },
      60_000,
      "the copy under way",
    );
    const { code, seconds } = await terminate(sync);
    expect(code).toBe(1);
    expect(seconds).toBeLessThan(10);
    expect(sync.output()).toMatch(/sync interrupted by SIGTERM/);
    expect(await verifyStore(dataDir)).toMatch(/ok=true/);

    const { stdout } = await run(process.execPath, [join(REPO_ROOT, "bin/satellite.mjs"), ...args]);
    expect(stdout).toMatch(new RegExp(`copied\\s+library/big:1 ${big.manifestDigest}`));
    expect(await verifyStore(dataDir)).toMatch(/ok=true/);
  });

  describe("the agent", () => {
    let emu: HarborEmulator;
    let gc: RunningProcess;
    let gcUrl: string;
    beforeAll(async () => {
      emu = await startHarborEmulator({
        adminUser: HARBOR.username,
        adminPassword: HARBOR.password,
        upstream: { url: upstream.url },
      });
      await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("library", { public: false });
      const port = await freePort();
      gcUrl = `http://127.0.0.1:${port}`;
      gc = startProcess(
        "ground-control",
        ["--host", "127.0.0.1", "--port", String(port), "--data-dir", join(work, "gc-agent")],
        {
          ADMIN_PASSWORD,
          HARBOR_URL: emu.url,
          HARBOR_USERNAME: HARBOR.username,
          HARBOR_PASSWORD: HARBOR.password,
          LOG_LEVEL: "warn",
        },
      );
      await waitForHttp(`${gcUrl}/healthz`, gc);
    });
    afterAll(async () => {
      await gc?.stop();
      await emu?.stop();
    });

    it("SIGTERM during a 4×100 MB pass exits 0 within 10 s; the store verifies and the restarted agent completes the pass", async () => {
      const admin = await adminClients(gcUrl, ADMIN_PASSWORD);
      await admin.fleet.createConfig({
        config: "fast",
        configJson: JSON.stringify({
          app_config: { state_replication_interval: "@every 2s", heartbeat_interval: "@every 2s" },
        }),
      });
      await admin.fleet.createGroup({ group: "big", artifacts: [{ repository: "library/big", tags: ["1"] }] });
      await admin.fleet.createSatellite({ satellite: "edge-sig", region: "lab", config: "fast", groups: ["big"] });
      const { token } = await admin.identity.issueZtrToken({ satellite: "edge-sig" });
      const dataDir = join(work, "agent");
      const satPort = await freePort();
      const args = ["--ground-control-url", gcUrl, "--data-dir", dataDir, "--registry-addr", `127.0.0.1:${satPort}`];
      const agent = startProcess("satellite", args, { SATELLITE_TOKEN: token, LOG_LEVEL: "info" });
      await eventually(
        async () => {
          if (agent.proc.exitCode !== null) throw new Error(`agent exited: ${agent.output()}`);
          if ((await du(join(dataDir, "ingest"))) < 20 << 20) throw new Error("not copying yet");
        },
        90_000,
        "the agent's pass under way",
      );
      const { code, seconds } = await terminate(agent);
      expect(code, agent.output().slice(-3000)).toBe(0);
      expect(seconds).toBeLessThan(10);
      expect(await verifyStore(dataDir)).toMatch(/ok=true/);

      const again = startProcess("satellite", args, { LOG_LEVEL: "warn" });
      try {
        await eventually(
          async () => {
            const res = await fetch(`http://127.0.0.1:${satPort}/v2/library/big/manifests/1`, {
              method: "HEAD",
              headers: { accept: big.mediaType },
            });
            if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
            expect(res.headers.get("docker-content-digest")).toBe(big.manifestDigest);
          },
          120_000,
          "the restarted agent serving library/big:1",
        );
      } finally {
        expect((await terminate(again)).code).toBe(0);
      }
      expect(await verifyStore(dataDir)).toMatch(/ok=true/);
    });
  });
});
