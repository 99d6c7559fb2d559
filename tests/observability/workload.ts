// The workload the observability test watches, every part real: Ground Control on PostgreSQL, the
// Harbor emulator in front of docker-registry, two satellite agents (fast intervals) enrolling with
// tokens, replicating a group of two images and one Harbor lacks, heartbeating; every process
// exports traces to `otlpUrl`. Then the trouble: a satellite stopped, an upstream blob corrupted,
// Harbor stopped.
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarborClient } from "@harbor-satellite/harbor";
import {
  buildImage,
  freePort,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  startPostgres,
  type PostgresServer,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { adminClients, FAST_CONFIG, type AdminClients } from "../e2e/agent-helpers.js";
import { GiveUp, startProcess, waitForHttp, type RunningProcess } from "../e2e/processes.js";
import { HARBOR } from "../e2e/ground-control-process.js";

const ADMIN_PASSWORD = "observability-admin-password";
export const GROUP = [
  { repository: "apps/nginx", tags: ["1.27"] },
  { repository: "apps/alpine", tags: ["3.20"] },
  { repository: "apps/missing", tags: ["1"] },
];

export interface Satellite {
  name: string;
  region: string;
  port: number;
  proc: RunningProcess;
}

export interface Workload {
  gcUrl: string;
  admin: AdminClients;
  emu: HarborEmulator;
  satellites: Satellite[];
  /** Throws GiveUp when a process the workload needs has exited (one stopped by stopSatellite excepted). */
  assertRunning(): void;
  stopSatellite(name: string): Promise<void>;
  /** Registers one more satellite and starts its agent (not scraped, not in `satellites`). */
  startSatellite(name: string, region: string): Promise<Satellite>;
  /** Pushes apps/corrupt:1, overwrites one of its layers in docker-registry's storage (same size), and adds it to the group. */
  corruptUpstreamBlob(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkload(otlpUrl: string): Promise<Workload> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const storage = await mkdtemp(join(tmpdir(), "observability-upstream-"));
    const work = await mkdtemp(join(tmpdir(), "observability-"));
    const blobs = await makeBlobDir();
    cleanups.push(
      () => rm(storage, { recursive: true, force: true }),
      () => rm(work, { recursive: true, force: true }),
      () => removeBlobDir(blobs),
    );
    const [pg, upstream]: [PostgresServer, DockerRegistry] = await Promise.all([
      startPostgres(),
      startDockerRegistry({ dir: storage }),
    ]);
    cleanups.push(
      () => pg.stop(),
      () => upstream.stop(),
    );
    const emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: upstream.url },
    });
    cleanups.push(() => emu.stop());
    await createHarborClient({ url: emu.url, ...HARBOR }).ensureProject("apps", { public: false });
    for (const [repo, tag] of [
      ["apps/nginx", "1.27"],
      ["apps/alpine", "3.20"],
    ]) {
      await pushImage(
        emu.url,
        repo,
        tag,
        await buildImage({ layerSizes: [64 << 10, 8 << 10], dir: blobs, labels: { repo } }),
        HARBOR,
      );
    }
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "500",
    };
    const port = await freePort();
    const gcUrl = `http://127.0.0.1:${port}`;
    const gc = startProcess("ground-control", ["--port", String(port), "--host", "127.0.0.1"], {
      DATABASE_URL: await pg.createDatabase("gc_observability"),
      HARBOR_URL: emu.url,
      HARBOR_USERNAME: HARBOR.username,
      HARBOR_PASSWORD: HARBOR.password,
      ADMIN_PASSWORD,
      LOG_LEVEL: "warn",
      ...otel,
    });
    cleanups.push(() => gc.stop());
    await waitForHttp(`${gcUrl}/healthz`, gc);
    const admin = await adminClients(gcUrl, ADMIN_PASSWORD);
    await admin.fleet.createConfig({ config: "fast", configJson: JSON.stringify(FAST_CONFIG) });
    await admin.fleet.createGroup({ group: "web", artifacts: GROUP });
    const satellites: Satellite[] = [];
    const launch = async (name: string, region: string): Promise<Satellite> => {
      await admin.fleet.createSatellite({ satellite: name, region, config: "fast" });
      await admin.fleet.assignGroup({ satellite: name, group: "web" });
      const { token } = await admin.identity.issueZtrToken({ satellite: name });
      const satPort = await freePort();
      const proc = startProcess(
        "satellite",
        [
          "--ground-control-url",
          gcUrl,
          "--token",
          token,
          "--data-dir",
          join(work, name),
          "--registry-addr",
          `127.0.0.1:${satPort}`,
        ],
        { LOG_LEVEL: "warn", ...otel },
      );
      cleanups.push(() => proc.stop());
      return { name, region, port: satPort, proc };
    };
    for (const [name, region] of [
      ["edge-1", "eu-west"],
      ["edge-2", "us-east"],
    ])
      satellites.push(await launch(name, region));
    const running = new Set([gc, ...satellites.map((s) => s.proc)]);
    return {
      gcUrl,
      admin,
      emu,
      satellites,
      assertRunning() {
        for (const p of running)
          if (p.proc.exitCode !== null && p.proc.signalCode === null)
            throw new GiveUp(`a process exited with ${p.proc.exitCode}: ${p.output().slice(-4000)}`);
      },
      startSatellite: launch,
      async stopSatellite(name) {
        const sat = satellites.find((s) => s.name === name)!;
        running.delete(sat.proc);
        await sat.proc.stop();
      },
      async corruptUpstreamBlob() {
        const image = await buildImage({ layerSizes: [32 << 10], dir: blobs, labels: { repo: "apps/corrupt" } });
        await pushImage(emu.url, "apps/corrupt", "1", image, HARBOR);
        const hex = image.layers[0].digest.slice("sha256:".length);
        const file = join(storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
        const { size } = await stat(file);
        const handle = await open(file, "r+");
        await handle.write(Buffer.alloc(size, 0x5a), 0, size, 0);
        await handle.close();
        await admin.fleet.updateGroup({
          group: "web",
          artifacts: [...GROUP, { repository: "apps/corrupt", tags: ["1"] }],
        });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
