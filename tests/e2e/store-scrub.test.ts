// The self-healing store (issue 12, item 4), against the real agent process with Ground Control,
// the Harbor emulator and docker-registry: one byte of a stored layer is flipped on disk; the
// scheduled scrub (--scrub-interval 2s, at 1 MB/s) quarantines that blob; the heartbeat reports it
// and the metrics count it while the upstream is cut off (so the refetch cannot happen before it
// is seen); once the upstream is back the next pass fetches it again, the heartbeat's error goes
// away, and skopeo pulls the image with the state's digest. Another image is pulled over and over
// throughout, never failing.
import { createHash } from "node:crypto";
import { open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort, type SyntheticImage } from "@harbor-satellite/testkit";
import { createEdgeSite, skopeoPullDigest, startSatelliteProcess, type AdminClients } from "./agent-helpers.js";
import { startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";
import { scrape } from "./prometheus-text.js";

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

describe("self-healing store, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let admin: AdminClients;
  let work: string;
  let dataDir: string;
  let satPort: number;
  let satUrl: string;
  let local: RegistryClient;
  let images: Record<string, SyntheticImage>;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "sat-scrub",
      project: "library",
      images: ["library/hello:1.0", "library/world:2"],
      layerSizes: [512 << 10, 4 << 10],
      adminPassword: "e2e-scrub-admin-password",
      proxy: true,
    });
    ({ admin, work, images } = stack);
    dataDir = join(work, "satellite");
    satPort = await freePort();
    satUrl = `http://127.0.0.1:${satPort}`;
    local = createRegistryClient({ url: satUrl, retry: { attempts: 1 } });
    await createEdgeSite(admin, {
      satellite: "edge-s",
      group: "edge-apps",
      artifacts: [
        { repository: "library/hello", tags: ["1.0"] },
        { repository: "library/world", tags: ["2"] },
      ],
    });
  });

  afterAll(async () => {
    local?.close();
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(sat?.output() ?? "");
    await sat?.stop();
    await stack?.stop();
  });

  const status = async () => (await admin.heartbeat.getSatelliteStatus({ satellite: "edge-s" })).status!;
  const blobFile = (digest: string) => join(dataDir, "blobs", "sha256", digest.slice("sha256:".length));
  const alive = (p: RunningProcess) => {
    if (p.proc.exitCode !== null) throw new GiveUp(`satellite exited with ${p.proc.exitCode}: ${p.output()}`);
  };
  const scrubLines = (output: string) =>
    output
      .split("\n")
      .filter((l) => l.includes('"store scrub done"'))
      .map((l) => JSON.parse(l) as { checked: number; bytes: number; quarantined: number });
  const pullChecked = (repo: string, tag: string) => skopeoPullDigest(satPort, repo, tag, work);

  /** Pulls world:2's layer over and over, checking its digest, until stopped. */
  const keepPulling = () => {
    const layer = images["library/world"].layers[0].digest;
    const counts = { ok: 0, failed: [] as string[] };
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        try {
          const res = await fetch(`${satUrl}/v2/library/world/blobs/${layer}`);
          const bytes = Buffer.from(await res.arrayBuffer());
          if (res.status === 200 && sha256(bytes) === layer) counts.ok++;
          else counts.failed.push(`HTTP ${res.status}`);
        } catch (error) {
          counts.failed.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return async () => {
      stopped = true;
      await loop;
      return counts;
    };
  };

  it("quarantines a blob with a flipped byte, reports it until the next pass has fetched it again, and serves throughout", async () => {
    sat = startSatelliteProcess({
      gcUrl: stack.gcUrl,
      dataDir,
      registryPort: satPort,
      args: ["--scrub-interval", "2s", "--scrub-rate", "1"],
      env: { LOG_LEVEL: "info", SATELLITE_TOKEN: (await admin.identity.issueZtrToken({ satellite: "edge-s" })).token },
    });
    const proc = sat;
    const hello = images["library/hello"];
    await eventually(
      async () => {
        alive(proc);
        const [h, w] = await Promise.all([
          local.headManifest("library/hello", "1.0"),
          local.headManifest("library/world", "2"),
        ]);
        if (h?.digest !== hello.manifestDigest || w?.digest !== images["library/world"].manifestDigest)
          throw new Error("not served yet");
      },
      90_000,
      "both images served",
    );
    // A whole scrub of the replicated store (both manifests, configs and layers) found nothing.
    await eventually(
      async () => {
        if (!scrubLines(proc.output()).some((l) => l.checked >= 6 && l.quarantined === 0))
          throw new Error("no full clean scrub yet");
      },
      30_000,
      "a clean scrub",
    );

    // The upstream is cut off first, so the blob cannot be fetched again before it was reported.
    stack.proxy!.retarget(await freePort());
    const stopPulling = keepPulling();
    const layer = hello.layers[0].digest;
    const bytes = await readFile(blobFile(layer));
    const at = bytes.length >> 1;
    bytes[at] ^= 0x01;
    // In place: a scrub reading the file meanwhile sees the old byte or the new one, never a short file.
    const handle = await open(blobFile(layer), "r+");
    await handle.write(bytes, at, 1, at);
    await handle.close();

    const reported = await eventually(
      async () => {
        alive(proc);
        const error = (await status()).latest?.errors.find((e) => e.reference === layer);
        if (!error) throw new Error("no heartbeat error for the blob yet");
        return error;
      },
      60_000,
      "a heartbeat naming the corrupt blob",
    );
    expect(reported.message).toMatch(/did not match its digest; quarantined/);
    await expect(readFile(blobFile(layer))).rejects.toMatchObject({ code: "ENOENT" });
    const quarantined = (await readdir(join(dataDir, "quarantine"))).filter((f) =>
      f.startsWith(layer.replace(":", "-")),
    );
    expect(quarantined).toHaveLength(1);
    expect(await readFile(join(dataDir, "quarantine", quarantined[0]))).toEqual(bytes);
    const during = await scrape(`${satUrl}/metrics`);
    expect(during.sum("satellite_store_scrub_corrupt_total")).toBe(1);
    expect(during.sum("satellite_store_scrub_quarantined")).toBe(1);
    expect(during.sum("satellite_store_scrub_read_bytes_total")).toBeGreaterThan(512 << 10);
    expect(during.sum("satellite_store_scrub_last_completed_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);

    // The upstream is back: the next pass finds the blob missing and fetches it again.
    stack.proxy!.retarget(stack.upstream!.port);
    await eventually(
      async () => {
        alive(proc);
        const back = await readFile(blobFile(layer)).catch(() => undefined);
        if (!back || sha256(back) !== layer) throw new Error("blob not back yet");
      },
      90_000,
      "the blob fetched again",
    );
    const healed = await eventually(
      async () => {
        const latest = (await status()).latest;
        if (
          !latest ||
          latest.errors.length > 0 ||
          !latest.activity.includes("1 quarantined blobs fetched again since start, 0 awaited")
        )
          throw new Error(`not yet: ${JSON.stringify(latest?.errors)} ${latest?.activity}`);
        return latest;
      },
      60_000,
      "a heartbeat with the blob fetched again and no error",
    );
    expect(healed.activity).toMatch(/last store scrub \S+: \d+ blobs/);
    expect(await pullChecked("library/hello", "1.0")).toBe(hello.manifestDigest);
    const after = await scrape(`${satUrl}/metrics`);
    expect(after.sum("satellite_store_scrub_corrupt_total")).toBe(1);
    expect(after.sum("satellite_store_scrub_quarantined")).toBe(0);
    // The repair pass logs its outcome when it ends, which can come after the heartbeat above.
    await eventually(
      async () => {
        if (!proc.output().includes("owned image was damaged locally; repaired from upstream"))
          throw new Error("repair not logged yet");
      },
      30_000,
      "the repair pass's log line",
    );
    expect(proc.output()).toContain("owned image was damaged locally; repaired from upstream");

    const pulls = await stopPulling();
    expect(pulls.failed).toEqual([]);
    expect(pulls.ok).toBeGreaterThan(10);
  });
});
