// The edge site of the sync-window end-to-end tests (sync-windows*.test.ts): a fleet stack with
// one 8 MiB-layer image, a counting HTTP proxy in front of the Harbor emulator that the satellite
// reaches Harbor through, a Ground Control config whose first window closes mid-copy, and the
// satellite enrolled under it. Tests own the satellite process and stop it before the site.
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "@harbor-satellite/testkit";
import { startCountingProxy, type ProxiedRequest } from "./counting-proxy.js";
import { FAST_CONFIG, startFleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";

const LAYER_BYTES = 8 << 20;
const MINUTE = 60_000;
/** The satellite starts, enrols and begins the copy well within this. */
const MIN_LEAD_MS = 45_000;
/** The Ground Control config the satellite is enrolled under. */
export const WINDOWS_CONFIG = "windows";

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

export type SyncWindowSite = Awaited<ReturnType<typeof startSyncWindowSite>>;

/** Starts the stack and the proxy for one satellite named `satellite` (not enrolled yet). */
export async function startSyncWindowSite(options: { name: string; adminPassword: string; satellite: string }) {
  const stack = await startFleetStack({
    name: options.name,
    project: "edge",
    images: ["edge/big:1.0"],
    layerSizes: [LAYER_BYTES],
    adminPassword: options.adminPassword,
  });
  const proxy = await startCountingProxy(stack.emu.url).catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  const dataDir = join(stack.work, "satellite");
  const layer = () => stack.images["edge/big"].layers[0];
  const site = {
    stack,
    proxy,
    dataDir,
    layer,
    status: async () => (await stack.admin.heartbeat.getSatelliteStatus({ satellite: options.satellite })).status!,
    /** The proxy's log of the layer's GETs, in order. */
    layerGets: (): ProxiedRequest[] =>
      proxy.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/blobs/${layer().digest}`)),
    /** The files in the satellite's ingest/ folder and their sizes (none before it exists). */
    async ingestFiles() {
      const dir = join(dataDir, "ingest");
      const names = await readdir(dir).catch(() => [] as string[]);
      return Promise.all(names.map(async (name) => ({ name, size: (await stat(join(dir, name))).size })));
    },
    /**
     * Creates the config (`sync_policy` of `windows`), the group wanting edge/big:1.0 and the
     * satellite in it, and writes the satellite's ZTR token to a file; resolves with its path.
     */
    async enrol(windows: ReturnType<typeof planWindows>["syncPolicy"]): Promise<string> {
      const config = { ...FAST_CONFIG, app_config: { ...FAST_CONFIG.app_config, sync_policy: windows } };
      const { admin } = stack;
      await admin.fleet.createConfig({ config: WINDOWS_CONFIG, configJson: JSON.stringify(config) });
      await admin.fleet.createGroup({ group: "edge", artifacts: [{ repository: "edge/big", tags: ["1.0"] }] });
      await admin.fleet.createSatellite({
        satellite: options.satellite,
        region: "eu",
        groups: ["edge"],
        config: WINDOWS_CONFIG,
      });
      const { token } = await admin.identity.issueZtrToken({ satellite: options.satellite });
      const tokenPath = join(stack.work, "ztr-token");
      await writeFile(tokenPath, `${token}\n`, { mode: 0o600 });
      return tokenPath;
    },
    /** The satellite's arguments but its token: Ground Control, data dir, a free registry port, Harbor through the proxy. */
    async satelliteArgs(): Promise<string[]> {
      return [
        "--ground-control-url",
        stack.gcUrl,
        "--data-dir",
        dataDir,
        "--registry-addr",
        `127.0.0.1:${await freePort()}`,
        "--harbor-registry-url",
        proxy.url,
      ];
    },
    /** Waits, until just before the first window `closes`, for the copy's first GET of the layer. */
    async layerCopyStarted(sat: RunningProcess, closes: number): Promise<void> {
      await eventually(
        async () => {
          assertAlive(sat);
          if (site.layerGets().length === 0) throw new Error(`no layer request yet: ${sat.output().slice(-3000)}`);
        },
        closes - Date.now() - 1_000,
        "layer copy started",
      );
    },
    /** Waits, until a minute after the next window `opens`, for the layer's blob; resolves with its path. */
    async layerLanded(sat: RunningProcess, opens: number): Promise<string> {
      const blobPath = join(dataDir, "blobs", "sha256", layer().digest.slice("sha256:".length));
      await eventually(
        async () => {
          assertAlive(sat);
          await stat(blobPath);
        },
        opens - Date.now() + 60_000,
        "layer copied after the window opened",
      );
      return blobPath;
    },
    async stop() {
      await proxy.stop();
      await stack.stop();
    },
  };
  return site;
}

/**
 * The windows, planned from now: the first holds now and closes at the next minute (at least
 * MIN_LEAD_MS away); the next opens a minute later. The cap makes a layer of `layerBytes` need
 * longer than the first window.
 */
export function planWindows(layerBytes: number) {
  const now = Date.now();
  const firstOpened = Math.floor(now / MINUTE) * MINUTE;
  const minutes = firstOpened + MINUTE - now >= MIN_LEAD_MS ? 1 : 2;
  const firstCloses = firstOpened + minutes * MINUTE;
  const nextOpens = firstCloses + MINUTE;
  const cap = Math.floor(layerBytes / ((firstCloses - now) / 1000 + 20));
  const syncPolicy = {
    max_bytes_per_second: cap,
    windows: [
      { start: hhmm(firstOpened), duration: `${minutes}m` },
      // The next window runs uncapped (0 overrides the satellite-wide cap).
      { start: hhmm(nextOpens), duration: "10m", max_bytes_per_second: 0 },
    ],
  };
  return { firstCloses, nextOpens, cap, syncPolicy };
}

/** Throws GiveUp (ending an `eventually` at once) when the satellite has exited. */
export function assertAlive(sat: RunningProcess | undefined): void {
  if (sat && sat.proc.exitCode !== null)
    throw new GiveUp(`satellite exited with ${sat.proc.exitCode}: ${sat.output()}`);
}
