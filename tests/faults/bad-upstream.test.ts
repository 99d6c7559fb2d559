// An upstream that misbehaves on the wire, served by an in-process test registry to the real
// `satellite sync --once`: a blob whose bytes do not match its digest is rejected and not stored
// (the other image still lands), and a connection cut in the middle of a blob is resumed with Range.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaType } from "@harbor-satellite/oci";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { verifyStore } from "@harbor-satellite/satellite/testing";
import { runSatellite, syncOnceArgs } from "@harbor-satellite/satellite/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let registry: FakeRegistry;
let dataDir: string;

beforeEach(async () => {
  registry = await startFakeRegistry();
  dataDir = await mkdtemp(join(tmpdir(), "bad-upstream-"));
});
afterEach(async () => {
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

function seed(repository: string, layerSizes: number[]): { digest: string; layers: string[] } {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", repository }));
  const layers = layerSizes.map((size) => registry.putBlob(randomBytes(size)));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: registry.putBlob(config), size: config.length },
      layers: layers.map((digest, i) => ({ mediaType: MediaType.OciLayer, digest, size: layerSizes[i] })),
    }),
  );
  return { digest: registry.putManifest(repository, "v1", manifest, MediaType.OciManifest), layers };
}

const stored = (digest: string) =>
  stat(join(dataDir, "blobs", "sha256", digest.slice(7))).then(
    () => true,
    () => false,
  );

describe("a misbehaving upstream", () => {
  it("rejects a corrupt layer (not stored, image failed and named) while the other image lands", async () => {
    const bad = seed("lib/bad", [3 << 20, 2 << 20]);
    const good = seed("lib/good", [3 << 20]);
    registry.addFault({ method: "GET", path: new RegExp(bad.layers[0]), corrupt: true, times: 100 });
    const run = await runSatellite(syncOnceArgs(registry.url, ["lib/bad:v1", "lib/good:v1"], dataDir));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`satellite: image lib/bad:v1 failed: digest mismatch: expected ${bad.layers[0]}`),
    );
    expect(run.stdout).toContain(`copied    lib/good:v1 ${good.digest}`);
    expect(await stored(bad.layers[0])).toBe(false);
    expect(await stored(good.layers[0])).toBe(true);
    const report = await verifyStore(dataDir);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    // An upstream's fault is one log line with its reason, not a stack trace.
    expect(run.stderr).not.toMatch(/\n\s+at |"stack"/);
  });

  it("reports a missing image, a refused upstream and TLS spoken to a plain-HTTP upstream as one line each, no stack", async () => {
    const refusedPort = new URL(registry.url).port;
    const missing = await runSatellite(syncOnceArgs(registry.url, ["lib/none:v1"], dataDir));
    expect(missing.stderr).toMatch(
      /"image":"lib\/none:v1","reason":"GET .*HTTP 404 MANIFEST_UNKNOWN.*","status":404,"code":"MANIFEST_UNKNOWN"/,
    );
    const tls = await runSatellite(syncOnceArgs(registry.url.replace("http://", "https://"), ["lib/none:v1"], dataDir));
    expect(tls.stderr).toMatch(/TLS was answered in plain HTTP/);
    await registry.close();
    const refused = await runSatellite(syncOnceArgs(`http://127.0.0.1:${refusedPort}`, ["lib/none:v1"], dataDir));
    expect(refused.stderr).toMatch(/"code":"ECONNREFUSED"/);
    registry = await startFakeRegistry();
    for (const run of [missing, tls, refused]) {
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/\n\s+at |"stack"/);
    }
  });

  it("resumes a layer whose connection is cut mid-way, with a Range request", async () => {
    const image = seed("lib/cut", [6 << 20]);
    registry.addFault({ method: "GET", path: new RegExp(image.layers[0]), cutAfterBytes: 2 << 20 });
    const run = await runSatellite(syncOnceArgs(registry.url, ["lib/cut:v1"], dataDir));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`copied    lib/cut:v1 ${image.digest}`);
    const ranged = registry.requests.filter((r) => r.path.endsWith(image.layers[0]) && r.range);
    expect(ranged.map((r) => r.range)).toEqual([`bytes=${2 << 20}-`]);
    expect((await verifyStore(dataDir)).ok).toBe(true);
  });

  it("recovers from 503s and a 429 with Retry-After on manifests and blobs", async () => {
    const image = seed("lib/flaky", [2 << 20]);
    registry.addFault({ path: /manifests/, status: 503, times: 2 });
    registry.addFault({
      method: "GET",
      path: new RegExp(image.layers[0]),
      status: 429,
      headers: { "retry-after": "1" },
    });
    const run = await runSatellite(syncOnceArgs(registry.url, ["lib/flaky:v1"], dataDir));
    expect(run.code, run.stderr).toBe(0);
    expect(registry.requests.filter((r) => r.path.endsWith(image.layers[0]))).toHaveLength(2);
  });
});
