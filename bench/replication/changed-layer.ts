// Benchmark: one layer of an image changes upstream (same tag, new manifest and config); the
// resync must fetch only that layer, the manifest and the config. Bytes are counted at a
// pass-through proxy in front of docker-registry (response bodies).
// Goal: bytes_ratio = fetched / (changed layer + manifest + config) ≤ 1.01.
// Run: npx tsx bench/replication/changed-layer.ts [--layer-mb N]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import {
  buildImage,
  makeBlobDir,
  pushImage,
  removeBlobDir,
  writeRandomLayer,
  type BlobFile,
  type SyntheticImage,
} from "@harbor-satellite/testkit";
import { startDockerRegistry } from "@harbor-satellite/testkit/docker-registry";
import { fmt, parseSummary, startCountingProxy, syncArgs, timed } from "./harness.js";

const { values } = parseArgs({ options: { "layer-mb": { type: "string", default: "20" } } });
const layerBytes = Number(values["layer-mb"]) * 1_000_000;

/** The image with one layer swapped; OCI layers here are plain tars, so a diff ID is the digest. */
async function replaceLayer(base: SyntheticImage, index: number, layer: BlobFile): Promise<SyntheticImage> {
  const layers = base.layers.map((l, i) => (i === index ? layer : l));
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const config: BlobFile = {
    mediaType: MediaType.OciConfig,
    digest: digestOf(configBytes),
    size: configBytes.length,
    path: join(blobDir, `config-${digestOf(configBytes).slice(7)}`),
  };
  await writeFile(config.path, configBytes);
  const strip = ({ mediaType, digest, size }: BlobFile) => ({ mediaType, digest, size });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: strip(config),
      layers: layers.map(strip),
    }),
  );
  return {
    format: "oci",
    config,
    layers,
    manifest,
    manifestDigest: digestOf(manifest),
    mediaType: MediaType.OciManifest,
  };
}

const upstream = await startDockerRegistry();
const proxy = await startCountingProxy(upstream.url);
const blobDir = await makeBlobDir();
const dataDir = await mkdtemp(join(tmpdir(), "bench-changed-"));
try {
  const before = await buildImage({ layerSizes: [layerBytes, layerBytes, layerBytes, layerBytes], dir: blobDir });
  await pushImage(upstream.url, "bench/app", "v1", before);
  const first = await timed(process.execPath, syncArgs(proxy.url, ["bench/app:v1"], dataDir));
  console.log(
    `first pass: ${proxy.requests} requests, ${proxy.bytes} bytes (${first.stdout.trim().split("\n").pop()})`,
  );

  // Same image with layer 3 replaced: new layer, new config (diff IDs), new manifest.
  const { blob: changed } = await writeRandomLayer(blobDir, layerBytes, MediaType.OciLayer);
  const image = await replaceLayer(before, 2, changed);
  await pushImage(upstream.url, "bench/app", "v1", image);

  proxy.reset();
  const second = await timed(process.execPath, syncArgs(proxy.url, ["bench/app:v1"], dataDir));
  const s = parseSummary(second.stdout);
  const needed = changed.size + image.manifest.length + image.config.size;
  console.log(
    `resync: ${proxy.requests} requests ${JSON.stringify(proxy.byMethod)}, ${proxy.bytes} bytes fetched; changed layer ${changed.size} + manifest ${image.manifest.length} + config ${image.config.size} = ${needed}; blobs_copied=${s.blobs_copied} blobs_skipped=${s.blobs_skipped}`,
  );
  console.log(`bytes_fetched=${proxy.bytes} bytes_needed=${needed} bytes_ratio=${fmt(proxy.bytes / needed, 4)}`);
} finally {
  await proxy.close();
  await upstream.stop();
  await removeBlobDir(blobDir);
  await rm(dataDir, { recursive: true, force: true });
}
