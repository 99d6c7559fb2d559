// Helpers for the satellite agent's end-to-end tests: a TCP proxy on a fixed loopback port whose
// target can change, so the upstream docker-registry can be stopped for real and restarted (on
// another port) behind the same URL; one edge site set up in Ground Control (config, group,
// satellite); a `satellite` process; skopeo pulling from it; Ground Control showing it converged.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createRegistryClient } from "@harbor-satellite/oci";
import { freePort } from "@harbor-satellite/testkit";
import type { AdminClients } from "@harbor-satellite/testkit/ground-control-admin";
import { eventually, startProcess, type RunningProcess } from "./processes.js";

// Admin clients live in the test kit (the quickstart uses them too).
export { adminClients } from "@harbor-satellite/testkit/ground-control-admin";
export type { AdminClients } from "@harbor-satellite/testkit/ground-control-admin";

export interface RetargetableProxy {
  url: string;
  /** Sends new connections to this port from now on (and cuts the open ones). */
  retarget(port: number): void;
  stop(): Promise<void>;
}

export async function startRetargetableProxy(targetPort: number): Promise<RetargetableProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let target = targetPort;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    retarget(next) {
      target = next;
      for (const s of sockets) s.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A satellite config that passes, heartbeats and re-registers every 2 s. */
export const FAST_CONFIG = {
  app_config: {
    state_replication_interval: "@every 2s",
    heartbeat_interval: "@every 2s",
    register_satellite_interval: "@every 2s",
    log_level: "info",
  },
};
export interface EdgeSite {
  satellite: string;
  /** Default eu-west. */
  region?: string;
  /** The satellite config's name (default "fast") and document (default FAST_CONFIG). */
  config?: string;
  configJson?: unknown;
  group: string;
  artifacts: { repository: string; tags: string[] }[];
}

/** Creates the site's config and group, and the satellite with that config and group assigned. */
export async function createEdgeSite(admin: AdminClients, site: EdgeSite): Promise<void> {
  const config = site.config ?? "fast";
  await admin.fleet.createConfig({ config, configJson: JSON.stringify(site.configJson ?? FAST_CONFIG) });
  await admin.fleet.createGroup({ group: site.group, artifacts: site.artifacts });
  await admin.fleet.createSatellite({ satellite: site.satellite, region: site.region ?? "eu-west", config });
  await admin.fleet.assignGroup({ satellite: site.satellite, group: site.group });
}

export interface SatelliteProcessOptions {
  gcUrl: string;
  dataDir: string;
  registryPort: number;
  /** More flags: how it enrols (--token, --token-file, --spiffe-…), scrub, registry options… */
  args?: string[];
  env?: Record<string, string>;
}

/** A `satellite` process serving its registry on 127.0.0.1:`registryPort`. */
export function startSatelliteProcess(options: SatelliteProcessOptions): RunningProcess {
  return startProcess(
    "satellite",
    [
      "--ground-control-url",
      options.gcUrl,
      "--data-dir",
      options.dataDir,
      "--registry-addr",
      `127.0.0.1:${options.registryPort}`,
      ...(options.args ?? []),
    ],
    options.env ?? {},
  );
}

/**
 * skopeo copies `repo:tag` from the satellite on `registryPort` into a new dir below `work` and
 * returns the digest of the manifest it got (for the test to compare with the one the state names).
 */
export async function skopeoPullDigest(
  registryPort: number,
  repo: string,
  tag: string,
  work: string,
  creds?: string,
): Promise<string> {
  const out = join(work, `pulled-${repo.replace("/", "-")}-${Date.now()}`);
  await promisify(execFile)("skopeo", [
    "copy",
    "--src-tls-verify=false",
    ...(creds ? ["--src-creds", creds] : []),
    `docker://127.0.0.1:${registryPort}/${repo}:${tag}`,
    `dir:${out}`,
  ]);
  const manifest = await readFile(join(out, "manifest.json"));
  return `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
}

/**
 * Waits until Ground Control shows `satellite` online, its latest heartbeat with no error and
 * exactly `count` cached images, one of them naming `including`; returns that status.
 */
export async function waitForConvergedOnline(
  admin: AdminClients,
  satellite: string,
  expected: { count: number; including: string },
  timeoutMs = 60_000,
) {
  return eventually(
    async () => {
      const s = (await admin.heartbeat.getSatelliteStatus({ satellite })).status!;
      const refs = (s.latest?.cachedImages ?? []).map((c) => c.reference).sort();
      if (
        s.health !== Health.ONLINE ||
        s.latest?.errors.length ||
        refs.length !== expected.count ||
        !refs.some((r) => r.includes(expected.including))
      )
        throw new Error(`not yet: ${JSON.stringify(refs)}`);
      return s;
    },
    timeoutMs,
    "Ground Control showing the converged satellite online",
  );
}

/** The manifest digest the satellite on `registryPort` serves for repository:tag; throws until it serves one. */
export async function servedDigest(registryPort: number, repository: string, tag: string): Promise<string> {
  const local = createRegistryClient({ url: `http://127.0.0.1:${registryPort}`, retry: { attempts: 1 } });
  try {
    const digest = (await local.headManifest(repository, tag))?.digest;
    if (!digest) throw new Error(`${repository}:${tag} not served yet`);
    return digest;
  } finally {
    local.close();
  }
}
