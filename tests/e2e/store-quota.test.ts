// The store quota and retention (issue 13, item 4), against the real agent process with Ground
// Control, the Harbor emulator and docker-registry. Three images of ~260 KiB each; the config
// from Ground Control sets app_config.store_quota to 650 KiB (two of them fit). The group first
// wants alpha and beta; skopeo pulls alpha through the satellite. The group then wants only
// gamma: alpha and beta are retained, but three images exceed the quota, so beta (never pulled)
// is evicted and its blobs collected while alpha (pulled, so it goes after beta although it sorts
// first) stays served; skopeo and containerd's ctr pull gamma. A quota smaller than gamma alone
// then evicts alpha, keeps gamma, and the heartbeat says the quota is too small for the desired
// set. Bytes on disk and the satellite_store_gc_* / quota metrics follow every step.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort, type SyntheticImage } from "@harbor-satellite/testkit";
import { startContainerd } from "../interop/containerd.js";
import { createEdgeSite, skopeoPullDigest, startSatelliteProcess, type AdminClients } from "./agent-helpers.js";
import { FAST_CONFIG, startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";
import { scrape } from "./prometheus-text.js";

const KIB = 1024;
const QUOTA = 650 * KIB;

describe("store quota and retention, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let admin: AdminClients;
  let work: string;
  let dataDir: string;
  let satPort: number;
  let local: RegistryClient;
  let images: Record<string, SyntheticImage>;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "sat-quota",
      project: "library",
      images: ["library/alpha:1", "library/beta:1", "library/gamma:1"],
      layerSizes: [256 * KIB, 4 * KIB],
      adminPassword: "e2e-quota-admin-password",
    });
    ({ admin, work, images } = stack);
    dataDir = join(work, "satellite");
    satPort = await freePort();
    local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });
    await createEdgeSite(admin, {
      satellite: "edge-q",
      region: "eu-west",
      config: "quota",
      configJson: {
        app_config: { ...FAST_CONFIG.app_config, store_quota: "650KiB", store_gc_interval: "@every 1h" },
      },
      group: "apps",
      artifacts: [
        { repository: "library/alpha", tags: ["1"] },
        { repository: "library/beta", tags: ["1"] },
      ],
    });
  });

  afterAll(async () => {
    local?.close();
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(sat?.output() ?? "");
    await sat?.stop();
    await stack?.stop();
  });

  const status = async () => (await admin.heartbeat.getSatelliteStatus({ satellite: "edge-q" })).status!;
  const alive = () => {
    if (sat!.proc.exitCode !== null) throw new GiveUp(`satellite exited with ${sat!.proc.exitCode}: ${sat!.output()}`);
  };
  const served = async (repo: string) => (await local.headManifest(repo, "1"))?.digest;
  /** Bytes of every blob file in the store, as du would count them (apparent sizes). */
  const bytesOnDisk = async () => {
    const dir = join(dataDir, "blobs", "sha256");
    let total = 0;
    // A collection may delete a file between the listing and its stat: it counts nothing then.
    for (const name of await readdir(dir)) total += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
    return total;
  };
  const blobPresent = (digest: string) =>
    stat(join(dataDir, "blobs", "sha256", digest.slice("sha256:".length))).then(
      () => true,
      () => false,
    );
  /** Samples the bytes on disk until stopped; stop() gives the largest sample. */
  const watchDisk = () => {
    let watching = true;
    const largest = (async () => {
      let max = 0;
      while (watching) {
        max = Math.max(max, await bytesOnDisk());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return max;
    })();
    return { stop: () => ((watching = false), largest) };
  };
  const skopeoPull = (repo: string) => skopeoPullDigest(satPort, repo, "1", work);
  const metrics = () => scrape(`http://127.0.0.1:${satPort}/metrics`);
  const imageBytes = (repo: string) =>
    images[repo].manifest.length + images[repo].config.size + images[repo].layers.reduce((n, l) => n + l.size, 0);

  it("evicts what no group wants, least recently pulled first, collects its blobs, and never a wanted image", async () => {
    sat = startSatelliteProcess({
      gcUrl: stack.gcUrl,
      dataDir,
      registryPort: satPort,
      env: { LOG_LEVEL: "info", SATELLITE_TOKEN: (await admin.identity.issueZtrToken({ satellite: "edge-q" })).token },
    });
    const [alpha, beta, gamma] = ["library/alpha", "library/beta", "library/gamma"].map((r) => images[r]);
    expect(imageBytes("library/alpha") * 2).toBeLessThan(QUOTA);
    expect(imageBytes("library/alpha") * 3).toBeGreaterThan(QUOTA);
    await eventually(
      async () => {
        alive();
        if ((await served("library/alpha")) !== alpha.manifestDigest) throw new Error("alpha not served yet");
        if ((await served("library/beta")) !== beta.manifestDigest) throw new Error("beta not served yet");
      },
      90_000,
      "alpha and beta served",
    );
    // The config artifact is applied at the end of the pass that replicated them.
    const before = await eventually(
      async () => {
        const m = await metrics();
        if (m.sum("satellite_store_quota_bytes") !== QUOTA) throw new Error("quota not applied yet");
        return m;
      },
      30_000,
      "the quota applied",
    );
    const twoImages = await bytesOnDisk();
    const runsBefore = before.sum("satellite_store_gc_runs_total");
    const reclaimedBefore = before.sum("satellite_store_gc_reclaimed_bytes_total");

    // A pull through the satellite: alpha, which sorts first, now goes after beta (never pulled).
    expect(await skopeoPull("library/alpha")).toBe(alpha.manifestDigest);

    // The pass plans its bytes before fetching: beta goes (and is collected) before gamma arrives,
    // so the store never holds all three.
    const disk = watchDisk();
    await admin.fleet.updateGroup({ group: "apps", artifacts: [{ repository: "library/gamma", tags: ["1"] }] });
    await eventually(
      async () => {
        alive();
        if ((await served("library/gamma")) !== gamma.manifestDigest) throw new Error("gamma not served yet");
        if ((await served("library/beta")) !== undefined) throw new Error("beta still served");
        for (const digest of [beta.manifestDigest, beta.config.digest, ...beta.layers.map((l) => l.digest)])
          if (await blobPresent(digest)) throw new Error(`beta's ${digest} not collected yet`);
      },
      90_000,
      "gamma served, beta evicted and collected",
    );
    expect(await disk.stop()).toBeLessThanOrEqual(QUOTA);
    // alpha is retained: no group wants it, but it fits beside gamma.
    expect(await served("library/alpha")).toBe(alpha.manifestDigest);
    const afterEviction = await bytesOnDisk();
    expect(afterEviction).toBeLessThanOrEqual(QUOTA);
    expect(afterEviction).toBeLessThan(twoImages + imageBytes("library/gamma"));
    expect(sat.output()).toMatch(
      /"evicted":\["library\/beta:1"\].*"msg":"store would exceed its quota: images no group wants evicted before fetching"/,
    );
    const evicted = await metrics();
    expect(evicted.sum("satellite_store_gc_runs_total")).toBeGreaterThan(runsBefore);
    expect(evicted.sum("satellite_store_gc_reclaimed_bytes_total") - reclaimedBefore).toBeGreaterThanOrEqual(
      imageBytes("library/beta"),
    );
    expect(evicted.sum("satellite_store_gc_removed_total")).toBeGreaterThanOrEqual(4);
    expect(evicted.sum("satellite_store_gc_duration_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(evicted.sum("satellite_store_quota_used_bytes")).toBeLessThanOrEqual(QUOTA);
    // What alpha and gamma hold (their sizes differ by a byte or so: each synthetic config is its own).
    expect(evicted.sum("satellite_store_quota_used_bytes")).toBeGreaterThanOrEqual(
      imageBytes("library/alpha") + imageBytes("library/gamma"),
    );

    // The wanted image pulls with skopeo and with containerd.
    expect(await skopeoPull("library/gamma")).toBe(gamma.manifestDigest);
    const containerd = await startContainerd(join(work, "containerd"));
    try {
      const ref = `127.0.0.1:${satPort}/library/gamma:1`;
      await containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", ref);
      const line = (await containerd.ctr("images", "ls")).split("\n").find((l) => l.startsWith(`${ref} `));
      expect(line?.split(/\s+/)[2]).toBe(gamma.manifestDigest);
    } finally {
      await containerd.stop();
    }
  }, 240_000);

  it("a quota smaller than the desired set: reported in the heartbeat, nothing desired deleted", async () => {
    const gamma = images["library/gamma"];
    const before = await bytesOnDisk();
    await admin.fleet.updateConfig({
      config: "quota",
      change: { case: "mergePatchJson", value: JSON.stringify({ app_config: { store_quota: "100KiB" } }) },
    });
    const reported = await eventually(
      async () => {
        alive();
        const error = (await status()).latest?.errors.find((e) => e.reference === "app_config.store_quota");
        if (!error) throw new Error("no quota error in the heartbeat yet");
        return error;
      },
      60_000,
      "a heartbeat saying the quota is too small",
    );
    expect(reported.message).toMatch(
      /^quota too small for the desired set \(needs 26\d\.\d KiB, quota 100 KiB; \d+ > 102400 bytes\)$/,
    );
    // alpha (not desired) went; gamma (desired) stays whole and pulls.
    await eventually(
      async () => {
        if ((await served("library/alpha")) !== undefined) throw new Error("alpha still served");
        const alpha = images["library/alpha"];
        for (const digest of [alpha.manifestDigest, alpha.config.digest, ...alpha.layers.map((l) => l.digest)])
          if (await blobPresent(digest)) throw new Error(`alpha's ${digest} not collected yet`);
      },
      30_000,
      "alpha evicted and collected",
    );
    expect(await served("library/gamma")).toBe(gamma.manifestDigest);
    for (const blob of [gamma.config, ...gamma.layers]) expect(await blobPresent(blob.digest)).toBe(true);
    expect(await skopeoPull("library/gamma")).toBe(gamma.manifestDigest);
    const after = await bytesOnDisk();
    expect(after).toBeLessThan(before - 256 * KIB);
    const m = await metrics();
    expect(m.sum("satellite_store_quota_bytes")).toBe(100 * KIB);
    expect(m.sum("satellite_store_quota_used_bytes")).toBeGreaterThan(100 * KIB);
    expect(sat!.output()).toMatch(/"msg":"quota too small for the desired set/);
  }, 120_000);

  it("a pass the quota cannot take fetches no blob of it, and the heartbeat says what it needs", async () => {
    const [alpha, gamma] = [images["library/alpha"], images["library/gamma"]];
    expect(await served("library/alpha")).toBeUndefined(); // evicted by the test before
    const logged = sat!.output().length;
    // The quota is still 100 KiB: gamma (stored) and alpha (to fetch) need about 520 KiB.
    await admin.fleet.updateGroup({
      group: "apps",
      artifacts: [
        { repository: "library/gamma", tags: ["1"] },
        { repository: "library/alpha", tags: ["1"] },
      ],
    });
    const reported = await eventually(
      async () => {
        alive();
        const error = (await status()).latest?.errors.find((e) => e.reference === "app_config.store_quota");
        if (!error?.message.includes("needs 5")) throw new Error(`quota error: ${error?.message}`);
        return error;
      },
      60_000,
      "a heartbeat saying the quota is too small for gamma and alpha",
    );
    expect(reported.message).toMatch(
      /^quota too small for the desired set \(needs 5\d\d\.\d KiB, quota 100 KiB; \d+ > 102400 bytes\)$/,
    );
    expect(sat!.output().slice(logged)).toMatch(/"msg":"quota too small for the desired set [^"]*: no layer fetched"/);
    // Not one of alpha's blobs was fetched (nothing in ingest/ either); gamma stays served.
    for (const digest of [alpha.config.digest, ...alpha.layers.map((l) => l.digest)])
      expect(await blobPresent(digest)).toBe(false);
    expect(await readdir(join(dataDir, "ingest"))).toEqual([]);
    expect(await served("library/alpha")).toBeUndefined();
    expect(await served("library/gamma")).toBe(gamma.manifestDigest);
  }, 120_000);
});
