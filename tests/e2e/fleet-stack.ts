// The stack most end-to-end tests start before their satellites: PostgreSQL, docker-registry
// (optionally behind a proxy that can be retargeted, so the upstream can be stopped for real)
// behind the Harbor emulator with one project and a few synthetic images, and a `ground-control`
// process on its own database with admin clients — in SPIFFE mode serving mTLS with its SVID from
// the fakes of ./spiffe-stack.ts. Tests own their satellites and stop them before the stack.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarborClient } from "@harbor-satellite/harbor";
import {
  buildImage,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  startPostgres,
  type PostgresServer,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { adminClients, startRetargetableProxy, type AdminClients, type RetargetableProxy } from "./agent-helpers.js";
import { HARBOR, startGroundControlProcess } from "./ground-control-process.js";
import type { RunningProcess } from "./processes.js";
import { startSpiffeTrust, type SpiffeTrust } from "./spiffe-stack.js";

export { HARBOR };
export { FAST_CONFIG } from "./agent-helpers.js";

export interface FleetStackOptions {
  /** Names the temp dirs and Ground Control's database. */
  name: string;
  /** Harbor project the images are pushed into (created private). */
  project: string;
  /** `repository:tag` of each image, the repository including the project. */
  images: string[];
  layerSizes?: number[];
  adminPassword: string;
  /** Puts a retargetable proxy between the emulator and docker-registry. */
  proxy?: boolean;
  groundControlEnv?: Record<string, string>;
  groundControlArgs?: string[];
  /** The Harbor emulator answers the OCI 1.1 referrers API itself, as Harbor does (default: docker-registry's 404). */
  harborReferrersApi?: boolean;
  /** Ground Control in SPIFFE mode (mTLS, satellites registered with a fake SPIRE server). */
  spiffe?: boolean;
}

export interface FleetStack {
  pg: PostgresServer;
  /** docker-registry's storage dir: start another on it to bring the upstream back. */
  storage: string;
  /** The running upstream; a test may stop it (set undefined) and start another. */
  upstream: DockerRegistry | undefined;
  proxy: RetargetableProxy | undefined;
  emu: HarborEmulator;
  /** Ground Control's database. */
  databaseUrl: string;
  gc: RunningProcess;
  gcUrl: string;
  /** The SPIFFE fakes, when started with `spiffe: true`. */
  spiffe: SpiffeTrust | undefined;
  admin: AdminClients;
  /** A scratch dir removed with the stack (satellite data dirs, token files…). */
  work: string;
  images: Record<string, SyntheticImage>;
  stop(): Promise<void>;
}

export async function startFleetStack(options: FleetStackOptions): Promise<FleetStack> {
  const storage = await mkdtemp(join(tmpdir(), `${options.name}-upstream-`));
  const work = await mkdtemp(join(tmpdir(), `${options.name}-`));
  const blobs = await makeBlobDir();
  const parts: Partial<FleetStack> = {};
  const stop = async () => {
    await parts.gc?.stop();
    await parts.emu?.stop();
    await parts.proxy?.stop();
    await Promise.all([parts.upstream?.stop(), parts.pg?.stop(), parts.spiffe?.stop(), removeBlobDir(blobs)]);
    await rm(storage, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  };
  try {
    [parts.pg, parts.upstream, parts.spiffe] = await Promise.all([
      startPostgres(),
      startDockerRegistry({ dir: storage }),
      options.spiffe ? startSpiffeTrust() : undefined,
    ]);
    if (options.proxy) parts.proxy = await startRetargetableProxy(parts.upstream.port);
    parts.emu = await startHarborEmulator({
      adminUser: HARBOR.username,
      adminPassword: HARBOR.password,
      upstream: { url: (parts.proxy ?? parts.upstream).url },
      referrersApi: options.harborReferrersApi,
    });
    await createHarborClient({ url: parts.emu.url, ...HARBOR }).ensureProject(options.project, { public: false });
    const images: Record<string, SyntheticImage> = {};
    for (const reference of options.images) {
      const [repository, tag] = reference.split(":");
      images[repository] = await buildImage({
        layerSizes: options.layerSizes ?? [64 << 10, 8 << 10],
        dir: blobs,
        labels: { repo: repository },
      });
      await pushImage(parts.emu.url, repository, tag, images[repository], HARBOR);
    }
    const databaseUrl = await parts.pg.createDatabase(`gc_${options.name.replace(/\W/g, "_")}`);
    const started = await startGroundControlProcess({
      harborUrl: parts.emu.url,
      adminPassword: options.adminPassword,
      databaseUrl,
      args: options.groundControlArgs,
      env: options.groundControlEnv,
      spiffe: parts.spiffe,
    });
    parts.gc = started.gc;
    const gcUrl = started.url;
    const admin = await adminClients(gcUrl, options.adminPassword, parts.spiffe?.adminTls);
    const stack: FleetStack = {
      ...(parts as Required<typeof parts>),
      proxy: parts.proxy,
      spiffe: parts.spiffe,
      databaseUrl,
      storage,
      work,
      gcUrl,
      admin,
      images,
      stop: () => stop(),
    };
    // stop() reads `parts`: keep the upstream a test swaps in visible to it.
    Object.defineProperty(stack, "upstream", {
      get: () => parts.upstream,
      set: (next: DockerRegistry | undefined) => (parts.upstream = next),
      enumerable: true,
    });
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}
