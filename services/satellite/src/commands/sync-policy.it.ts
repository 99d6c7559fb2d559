// `satellite sync --once` and `satellite serve` under the satellite config's edge policy, as an
// operator runs them: the real CLI against a real docker-registry (cosign signatures through the
// tag schema, made by the test kit's signer). Outside its sync window a pass fetches nothing and
// exits 3; --ignore-window syncs under the bandwidth cap; with require_signature an unsigned image
// is replicated, reported (exit 4) and refused by `serve` with 403 DENIED while the signed one is
// served; and once the signed image leaves the list, store GC takes its .sig tag with it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RegistryError } from "@harbor-satellite/oci";
import { buildImage, makeBlobDir, pushImage, removeBlobDir, type SyntheticImage } from "@harbor-satellite/testkit";
import {
  generateSigningKey,
  pushCosignSignature,
  signatureTag,
  type CosignSignature,
  type SigningKey,
} from "@harbor-satellite/testkit/cosign-signer";
import {
  dockerRegistryAvailable,
  startDockerRegistry,
  type DockerRegistry,
} from "@harbor-satellite/testkit/docker-registry";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openContentStore } from "../store/open-store.js";
import { verifyStore } from "../store/verify.js";
import { runSatellite, summaryOf, syncOnceArgs, withServe } from "../replication/testing/run-satellite.js";
import { createFakeClock } from "../scheduler/testing/fake-clock.js";
import { ExitCode } from "./exit-code.js";
import { parseSyncArgs } from "./sync-args.js";
import { exitCodeOf, syncOnce } from "./sync.js";

let upstream: DockerRegistry;
let blobs: string;
let signed: SyntheticImage;
let unsigned: SyntheticImage;
let key: SigningKey;
let signature: CosignSignature;
let dir: string;
let dataDir: string;

const layerBytes = (image: SyntheticImage) => image.layers.reduce((n, l) => n + l.size, 0) + image.config.size;

beforeAll(async () => {
  expect(dockerRegistryAvailable(), "install Debian's docker-registry package").toBe(true);
  upstream = await startDockerRegistry();
  blobs = await makeBlobDir();
  signed = await buildImage({ layerSizes: [3 << 20, 1 << 20], dir: blobs });
  unsigned = await buildImage({ layerSizes: [512 << 10], dir: blobs });
  await pushImage(upstream.url, "lib/signed", "v1", signed);
  await pushImage(upstream.url, "lib/unsigned", "v1", unsigned);
  key = generateSigningKey("ecdsa-p256");
  [signature] = await pushCosignSignature(upstream.url, "lib/signed", { key, signedDigest: signed.manifestDigest });
});
afterAll(async () => {
  await upstream?.stop();
  if (blobs) await removeBlobDir(blobs);
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sync-policy-it-"));
  dataDir = join(dir, "data");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A config file holding only `app_config` (the schema fills in the rest); its path. */
async function writeConfig(path: string, app_config: Record<string, unknown>): Promise<string> {
  await writeFile(path, JSON.stringify({ app_config: { encrypt_config: false, ...app_config } }));
  return path;
}

/** Bytes of the regular files under `path`, at any depth (0 while it does not exist). */
async function du(path: string): Promise<number> {
  const { readdir, stat } = await import("node:fs/promises");
  let total = 0;
  const entries = await readdir(path, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries)
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  return total;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** "HH:MM" in UTC, `hours` from now: a daily window that is surely closed now. */
const utcClock = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString().slice(11, 16);

describe("satellite sync --once under sync_policy", () => {
  it("outside its window fetches nothing and exits 3 naming the next window; --ignore-window syncs under the cap", async () => {
    const cap = 4_000_000;
    const config = await writeConfig(join(dir, "policy.json"), {
      sync_policy: { max_bytes_per_second: cap, windows: [{ start: utcClock(12), duration: "1h" }] },
    });
    const closed = await runSatellite(syncOnceArgs(upstream.url, ["lib/signed:v1"], dataDir, ["--config", config]));
    expect(closed.code, closed.stderr).toBe(ExitCode.OutsideSyncWindow);
    expect(closed.stdout).toBe("");
    expect(closed.stderr).toMatch(
      /^satellite: outside sync window, next window at \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z; nothing fetched \(--wait-for-window waits for it, --ignore-window syncs now\)$/m,
    );
    expect(await verifyStore(dataDir)).toMatchObject({ blobs: 0, manifests: 0 });

    const forced = await runSatellite(
      syncOnceArgs(upstream.url, ["lib/signed:v1"], dataDir, ["--config", config, "--ignore-window"]),
    );
    expect(forced.code, forced.stderr).toBe(ExitCode.Ok);
    expect(forced.stdout).toContain(`copied    lib/signed:v1 ${signed.manifestDigest}`);
    // The cap held the copy back: it cannot have been faster than the cap allows, less the bucket's burst.
    const summary = summaryOf(forced);
    expect(summary.seconds).toBeGreaterThanOrEqual((layerBytes(signed) - cap / 4) / cap);
    expect((await verifyStore(dataDir)).ok).toBe(true);
  });
});

describe("syncOnce when its window closes mid-copy (in process, on a clock the test moves)", () => {
  it("stops the copy, reports the image as stopped by the window (exit 3), and the next pass continues the kept bytes", async () => {
    const mondayNight = Date.parse("2026-12-07T22:00:00Z");
    const clock = createFakeClock(mondayNight);
    const config = await writeConfig(join(dir, "policy.json"), {
      sync_policy: {
        max_bytes_per_second: 1_000_000,
        windows: [{ days: ["mon"], start: "22:00", duration: "1h" }],
      },
    });
    const args = syncOnceArgs(upstream.url, ["lib/signed:v1"], dataDir, ["--config", config, "--log-level", "silent"]);
    const pass = syncOnce(parseSyncArgs(args.slice(1), {}), undefined, { clock });
    // The 3 MiB layer needs ~3 s under the cap: close the window once bytes are arriving.
    await waitFor(async () => (await du(join(dataDir, "ingest"))) >= 256 << 10);
    await clock.advance(3_600_000);
    const outcome = await pass;
    expect(outcome.kind).toBe("synced");
    if (outcome.kind !== "synced") return;
    expect(outcome.summary.failed.map((f) => f.image)).toEqual(["lib/signed:v1"]);
    expect(outcome.summary.failed[0].error?.message).toContain(
      "outside sync window, next window at 2026-12-14T22:00:00.000Z",
    );
    expect(exitCodeOf(outcome)).toBe(ExitCode.OutsideSyncWindow);

    // The paused layer's bytes stay (ingest/partial-<alg>-<hex>) and the next pass in a window
    // fetches only the rest of it: it reads fewer bytes than the image has, less what was kept.
    const { readdir, stat } = await import("node:fs/promises");
    const partials = (await readdir(join(dataDir, "ingest"))).filter((name) => name.startsWith("partial-"));
    const layers = new Map(signed.layers.map((l) => [`partial-${l.digest.replace(":", "-")}`, l.size]));
    let kept = 0;
    for (const name of partials) {
      const size = (await stat(join(dataDir, "ingest", name))).size;
      expect(size).toBeLessThan(layers.get(name)!);
      kept += size;
    }
    expect(kept).toBeGreaterThan(0);
    const next = await syncOnce(parseSyncArgs(args.slice(1), {}), undefined, { clock: createFakeClock(mondayNight) });
    expect(next.kind === "synced" && exitCodeOf(next)).toBe(ExitCode.Ok);
    const imageBytes = layerBytes(signed) + signed.manifest.length;
    const signatureBytes =
      signature.manifest.bytes.length + signature.config.bytes.length + signature.payload.bytes.length;
    expect(next.kind === "synced" && next.summary.bytes).toBeLessThanOrEqual(imageBytes + signatureBytes - kept);
    expect((await verifyStore(dataDir)).ok).toBe(true);
  });
});

describe("satellite sync --once and serve under require_signature", () => {
  it("replicates an unsigned image but reports it (exit 4) and serve refuses it; the signed one is served; its .sig goes with it", async () => {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dataDir, { recursive: true });
    // The agent's saved config in the data dir: both commands follow it without --config.
    await writeConfig(join(dataDir, "config.json"), {
      signature_policy: { require_signature: true, trusted_keys: [key.publicKeyPem] },
    });
    const images = ["lib/signed:v1", "lib/unsigned:v1"];
    const run = await runSatellite(syncOnceArgs(upstream.url, images, dataDir));
    expect(run.code, run.stderr).toBe(ExitCode.SignatureRefused);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toContain(`copied    lib/signed:v1 ${signed.manifestDigest} blobs_copied=3 blobs_skipped=0`);
    expect(lines).toContain(
      `copied    lib/unsigned:v1 ${unsigned.manifestDigest} blobs_copied=2 blobs_skipped=0 not_served=unsigned`,
    );
    expect(lines.at(-1)).toMatch(/ refused=1$/);
    expect(run.stderr).toContain(
      "satellite: image lib/unsigned:v1 not served: signature required (unsigned): no cosign signature found",
    );

    await withServe(dataDir, async (local) => {
      expect((await local.getManifest("lib/signed", "v1")).digest).toBe(signed.manifestDigest);
      const refused = await local.getManifest("lib/unsigned", "v1").catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RegistryError);
      expect(refused).toMatchObject({ status: 403, code: "DENIED" });
      expect((refused as Error).message).toContain("signature required: no cosign signature found");
      // Signatures themselves are served, for verifiers downstream.
      const sig = await local.getManifest("lib/signed", signatureTag(signed.manifestDigest));
      expect(sig.digest).toBe(signature.manifest.digest);
    });

    // The signed image leaves the list: untagged by the pass, and GC takes its .sig and payload along.
    const again = await runSatellite(syncOnceArgs(upstream.url, ["lib/unsigned:v1"], dataDir));
    expect(again.code, again.stderr).toBe(ExitCode.SignatureRefused);
    expect(again.stdout).toContain("untagged  lib/signed:v1");
    const store = await openContentStore({ root: dataDir });
    try {
      expect(await store.listTags("lib/signed")).toEqual([signatureTag(signed.manifestDigest)]);
      await store.collectGarbage({ graceMs: 0 });
      expect(await store.listRepositories()).toEqual(["lib/unsigned"]);
      expect(await store.statBlob(signature.payload.digest)).toBeUndefined();
      expect(await store.statBlob(signed.layers[0].digest)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
