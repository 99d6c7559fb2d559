// The whole loop on one machine with embedded defaults, for a first look:
//   dev upstream   our own registry (`satellite serve`) behind the Harbor API emulator, seeded
//                  with a small generated image library/hello:1.0
//   ground-control embedded PGlite database, token mode, Harbor = the emulator   (:8080)
//   satellite      enrolled with a single-use token, serving its local registry (:8585)
// then prints the command to pull the image from the satellite. Ctrl-C stops everything.
// Ports: QUICKSTART_GC_PORT, QUICKSTART_SATELLITE_PORT. State: ./data/quickstart (fresh each run).
import { mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { waitForShutdown } from "@harbor-satellite/serving";
import { adminClients } from "@harbor-satellite/testkit/ground-control-admin";
import {
  eventually,
  startProcess,
  waitForHttp,
  REPO_ROOT,
  type RunningProcess,
} from "@harbor-satellite/testkit/processes";
import { SEED_IMAGE, startDevHarbor, type DevHarbor } from "../dev-harbor/dev-harbor.js";

const HARBOR_ADMIN = { username: "admin", password: "Harbor12345" };
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "change-me-please";
const IMAGE = SEED_IMAGE;

const say = (line: string) => process.stdout.write(`quickstart: ${line}\n`);

async function seedUpstream(dataDir: string): Promise<DevHarbor> {
  const dev = await startDevHarbor({ host: "127.0.0.1", port: 0, dataDir, admin: HARBOR_ADMIN, seed: true });
  say(`dev upstream: Harbor emulator ${dev.harbor.url} holding ${IMAGE.repository}:${IMAGE.tag}`);
  return dev;
}

async function startGroundControl(dataDir: string, harborUrl: string, port: number): Promise<RunningProcess> {
  const gc = startProcess(
    "ground-control",
    ["--port", String(port), "--host", "127.0.0.1", "--data-dir", join(dataDir, "ground-control")],
    {
      ADMIN_PASSWORD,
      HARBOR_URL: harborUrl,
      HARBOR_USERNAME: HARBOR_ADMIN.username,
      HARBOR_PASSWORD: HARBOR_ADMIN.password,
      LOG_LEVEL: "warn",
    },
  );
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, gc);
  say(`ground control: http://127.0.0.1:${port} (embedded PGlite under ${join(dataDir, "ground-control")})`);
  return gc;
}

/** Admin work: a group with the image, a satellite with the group, a single-use token. */
async function enrolSatellite(gcUrl: string): Promise<string> {
  const admin = await adminClients(gcUrl, ADMIN_PASSWORD);
  await admin.fleet.createGroup({
    group: "quickstart",
    artifacts: [{ repository: IMAGE.repository, tags: [IMAGE.tag] }],
  });
  await admin.fleet.createSatellite({ satellite: "edge-01", region: "local", groups: ["quickstart"] });
  const { token } = await admin.identity.issueZtrToken({ satellite: "edge-01" });
  return token;
}

/** Whether something already listens on 127.0.0.1:port (or holds the port on every address). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(false)));
  });
}

async function main(): Promise<void> {
  const dataDir = join(REPO_ROOT, "data", "quickstart");
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const running: RunningProcess[] = [];
  let devHarbor: DevHarbor | undefined;
  const stopAll = async () => {
    for (const p of running.reverse()) await p.stop();
    await devHarbor?.stop();
  };
  // Ctrl-C, SIGTERM, or npm's shell going away (npm start does not pass SIGTERM on) stops everything.
  void waitForShutdown({ graceMs: 20_000, onForce: () => say("stopping now") }).then(async () => {
    await stopAll();
    process.exit(0);
  });
  const gcPort = Number(process.env.QUICKSTART_GC_PORT ?? 8080);
  const satPort = Number(process.env.QUICKSTART_SATELLITE_PORT ?? 8585);
  // A taken port means another Ground Control or registry: refuse rather than enrol against it.
  for (const [port, what, variable] of [
    [gcPort, "Ground Control", "QUICKSTART_GC_PORT"],
    [satPort, "the satellite", "QUICKSTART_SATELLITE_PORT"],
  ] as const) {
    if (await portTaken(port)) {
      process.stderr.write(
        `quickstart: port ${port}, for ${what}, is in use on 127.0.0.1: stop what holds it or set ${variable} to another port\n`,
      );
      process.exit(1);
    }
  }
  try {
    devHarbor = await seedUpstream(dataDir);
    const harbor = devHarbor.harbor;
    running.push(await startGroundControl(dataDir, harbor.url, gcPort));
    const token = await enrolSatellite(`http://127.0.0.1:${gcPort}`);
    const started = Date.now();
    // The token goes through the environment, not argv, where `ps` would show it.
    const satellite = startProcess(
      "satellite",
      [
        "--ground-control-url",
        `http://127.0.0.1:${gcPort}`,
        "--data-dir",
        join(dataDir, "satellite"),
        "--registry-addr",
        `127.0.0.1:${satPort}`,
      ],
      { LOG_LEVEL: "warn", SATELLITE_TOKEN: token },
    );
    running.push(satellite);
    const manifestUrl = `http://127.0.0.1:${satPort}/v2/${IMAGE.repository}/manifests/${IMAGE.tag}`;
    await eventually(
      async () => {
        if (satellite.proc.exitCode !== null) throw new Error(`satellite exited: ${satellite.output()}`);
        const res = await fetch(manifestUrl, {
          method: "HEAD",
          headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
        });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      },
      120_000,
      "the satellite serving the image",
    );
    say(
      `satellite edge-01 enrolled and serving ${IMAGE.repository}:${IMAGE.tag} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    say("pull it from the satellite with:");
    process.stdout.write(
      `\n  skopeo copy --src-tls-verify=false docker://127.0.0.1:${satPort}/${IMAGE.repository}:${IMAGE.tag} oci:/tmp/hello:${IMAGE.tag}\n`,
    );
    process.stdout.write(`  ctr images pull --plain-http 127.0.0.1:${satPort}/${IMAGE.repository}:${IMAGE.tag}\n\n`);
    say("running; Ctrl-C stops ground control, the satellite and the dev upstream");
  } catch (error) {
    process.stderr.write(`quickstart: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exit(1);
  }
}

await main();
