// A development stand-in for Harbor: the test kit's Harbor API emulator (robots, projects, robot
// permissions on /v2/, from Harbor's swagger) in front of a registry that holds the images, by
// default our own `satellite serve` under a data folder, optionally seeded with one small image.
// For local trials and the compose file's dev profile only: it keeps everything in memory
// (robots vanish when it stops) and is not Harbor.
import { join } from "node:path";
import { buildImage, freePort, makeBlobDir, pushImage, removeBlobDir } from "@harbor-satellite/testkit";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { startProcess, waitForHttp, type RunningProcess } from "@harbor-satellite/testkit/processes";

export const SEED_IMAGE = { repository: "library/hello", tag: "1.0" };

export interface DevHarborOptions {
  host: string;
  port: number;
  /** The registry behind the emulator; unset: a `satellite serve` under `dataDir`. */
  upstreamUrl?: string;
  dataDir: string;
  admin: { username: string; password: string };
  /** Push SEED_IMAGE once it is up. */
  seed: boolean;
}

export interface DevHarbor {
  harbor: HarborEmulator;
  upstreamUrl: string;
  stop(): Promise<void>;
}

export async function startDevHarbor(options: DevHarborOptions): Promise<DevHarbor> {
  let upstream: RunningProcess | undefined;
  let upstreamUrl = options.upstreamUrl;
  if (!upstreamUrl) {
    const port = await freePort();
    upstream = startProcess(
      "satellite",
      ["serve", "--data-dir", join(options.dataDir, "upstream"), "--addr", `127.0.0.1:${port}`],
      { LOG_LEVEL: "warn" },
    );
    upstreamUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${upstreamUrl}/v2/`, upstream);
  }
  const harbor = await startHarborEmulator({
    adminUser: options.admin.username,
    adminPassword: options.admin.password,
    upstream: { url: upstreamUrl },
    host: options.host,
    port: options.port,
  });
  const stop = async () => {
    await harbor.stop();
    await upstream?.stop();
  };
  try {
    if (options.seed) await seed(harbor.url, options.admin);
  } catch (error) {
    await stop();
    throw error;
  }
  return { harbor, upstreamUrl, stop };
}

async function seed(harborUrl: string, admin: { username: string; password: string }): Promise<void> {
  const blobs = await makeBlobDir();
  try {
    const image = await buildImage({
      layerSizes: [256 * 1024],
      dir: blobs,
      labels: { "org.opencontainers.image.title": "hello from harbor satellite" },
    });
    await pushImage(harborUrl, SEED_IMAGE.repository, SEED_IMAGE.tag, image, admin);
  } finally {
    await removeBlobDir(blobs);
  }
}
