// What the image holds, proved without a Docker engine: the bundle is built into a temp folder,
// scripts/build/assemble-runtime.mjs (the Dockerfile's build stage runs the same script) copies
// the runtime files beside it, `npm ci --omit=dev` installs production dependencies only, and
// both components then run from that folder as an unprivileged user (root here: setpriv to
// nobody) that cannot write the folder, its HOME or a TMPDIR: Ground Control on PGlite answers
// /healthz, `satellite serve` answers /v2/, and a satellite agent enrols against that Ground
// Control and serves an image replicated from docker-registry behind the Harbor emulator.
import { execFile } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarborClient } from "@harbor-satellite/harbor";
import { createRegistryClient } from "@harbor-satellite/oci";
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
const ADMIN_PASSWORD = "image-contents-admin";
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
/** Root ignores file modes; the components run as nobody so the read-only folder really is. */
const AS_NOBODY = isRoot ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"] : [];
/** Nothing but the data dir may be written: HOME and TMPDIR point nowhere writable. */
const LOCKED_ENV = {
  HOME: "/nonexistent",
  TMPDIR: "/nonexistent/tmp",
  NODE_ENV: "production",
  HARBOR_SATELLITE_RUN: "bundle",
  LOG_LEVEL: "warn",
};

describe("the image's contents, run as the image runs them", () => {
  let work: string;
  let app: string;
  let upstream: DockerRegistry;
  let emu: HarborEmulator;
  let blobs: string;
  let image: SyntheticImage;
  const running: RunningProcess[] = [];

  /** A folder the unprivileged user owns, for one component's data. */
  const dataDir = async (name: string) => {
    const dir = join(work, "data", name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (isRoot) await chown(dir, NOBODY, NOBODY);
    return dir;
  };
  const start = (bin: "ground-control" | "satellite", args: string[], env: NodeJS.ProcessEnv = {}) => {
    const p = startProcess(bin, args, { ...LOCKED_ENV, ...env }, { root: app, prefix: AS_NOBODY });
    running.push(p);
    return p;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "image-contents-"));
    await chmod(work, 0o755);
    await mkdir(join(work, "data"), { mode: 0o755 });
    app = join(work, "app");
    const dist = join(work, "dist");
    await run(process.execPath, ["scripts/build/main.mjs", "--outdir", dist], { cwd: REPO_ROOT });
    await run(process.execPath, ["scripts/build/assemble-runtime.mjs", app, "--dist", dist], { cwd: REPO_ROOT });
    await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: app,
      maxBuffer: 16 << 20,
    });
    // Read-only from here on: a+rX, no w for anyone.
    await run("chmod", ["-R", "a-w,a+rX", app]);

    upstream = await startDockerRegistry({ dir: join(work, "upstream") });
    emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: upstream.url },
    });
    await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("apps", { public: false });
    blobs = await makeBlobDir();
    image = await buildImage({ layerSizes: [32 << 10], dir: blobs, labels: { test: "image-contents" } });
    await pushImage(emu.url, "apps/hello", "1.0", image, HARBOR);
  });

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await emu?.stop();
    await upstream?.stop();
    if (blobs) await removeBlobDir(blobs);
    if (app) await run("chmod", ["-R", "u+w", app]).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("holds no dev dependency: tsx, esbuild, vitest and the swagger converter are absent, and the launchers run the bundle", async () => {
    const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
      cwd: app,
      maxBuffer: 16 << 20,
    }).catch((e: { stdout: string }) => e);
    for (const dev of ["tsx", "esbuild", "vitest", "swagger2openapi", "typescript"])
      expect(stdout, dev).not.toMatch(new RegExp(`node_modules/${dev}$`, "m"));
    const help = await run(process.execPath, [join(app, "bin/satellite.mjs"), "--help"], {
      env: { ...process.env, ...LOCKED_ENV },
    });
    expect(help.stdout).toContain("Usage:");
  });

  it("runs Ground Control on PGlite, satellite serve, and an agent that enrols and serves an image, all read-only", async () => {
    const gcPort = await freePort();
    const gcUrl = `http://127.0.0.1:${gcPort}`;
    const gc = start(
      "ground-control",
      ["--port", String(gcPort), "--host", "127.0.0.1", "--data-dir", await dataDir("gc")],
      {
        ADMIN_PASSWORD,
        HARBOR_URL: emu.url,
        HARBOR_USERNAME: HARBOR.username,
        HARBOR_PASSWORD: HARBOR.password,
      },
    );
    await waitForHttp(`${gcUrl}/healthz`, gc);
    // It really runs as the unprivileged user, from the assembled folder's bundle.
    const status = await readFile(`/proc/${gc.proc.pid}/status`, "utf8");
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(isRoot ? NOBODY : process.getuid?.()));
    expect(await readlink(`/proc/${gc.proc.pid}/cwd`)).toBe(app);

    const servePort = await freePort();
    const serve = start("satellite", [
      "serve",
      "--data-dir",
      await dataDir("serve"),
      "--addr",
      `127.0.0.1:${servePort}`,
    ]);
    await waitForHttp(`http://127.0.0.1:${servePort}/v2/`, serve);

    const admin = await adminClients(gcUrl, ADMIN_PASSWORD);
    await admin.fleet.createConfig({
      config: "fast",
      configJson: JSON.stringify({
        app_config: { state_replication_interval: "@every 2s", heartbeat_interval: "@every 2s" },
      }),
    });
    await admin.fleet.createGroup({ group: "hello", artifacts: [{ repository: "apps/hello", tags: ["1.0"] }] });
    await admin.fleet.createSatellite({ satellite: "edge-img", region: "lab", config: "fast" });
    await admin.fleet.assignGroup({ satellite: "edge-img", group: "hello" });
    const { token } = await admin.identity.issueZtrToken({ satellite: "edge-img" });

    const satPort = await freePort();
    const tokenFile = join(await dataDir("token"), "ztr-token");
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    if (isRoot) await chown(tokenFile, NOBODY, NOBODY);
    const agent = start("satellite", [
      "--ground-control-url",
      gcUrl,
      "--use-unsecure",
      "--token-file",
      tokenFile,
      "--data-dir",
      await dataDir("agent"),
      "--registry-addr",
      `127.0.0.1:${satPort}`,
    ]);
    const local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });
    try {
      const served = await eventually(
        async () => {
          if (agent.proc.exitCode !== null) throw new Error(`agent exited: ${agent.output()}`);
          const head = await local.headManifest("apps/hello", "1.0");
          if (!head) throw new Error("not replicated yet");
          return head;
        },
        90_000,
        "the agent serving apps/hello:1.0",
      );
      expect(served.digest).toBe(image.manifestDigest);
    } finally {
      local.close();
    }
    for (const p of [gc, serve, agent])
      expect(p.output(), "no write outside the data dir failed").not.toMatch(
        /EACCES|EROFS|ENOENT: no such file or directory, mkdir '\/nonexistent/,
      );
  });
});
