// A state artifact as an image, in the layout the original Ground Control pushes with
// `crane.Image(map{"artifacts.json": json})`: a Docker schema 2 manifest, a Docker image config
// whose rootfs.diff_ids names the layer, and ONE gzip layer holding a tar with the single entry
// `artifacts.json`. The original satellite reads it with crane.Pull + crane.Export, so the layout
// is the wire contract (docs/upstream-harbor-satellite.md §6, spiffe-spire-harbor-apis.md §4.5).
//
// Everything is deterministic (no timestamps in tar, gzip or config): the same state yields the
// same manifest digest, so a satellite that compares digests skips unchanged state.
import { gzipSync } from "node:zlib";
import { digestOf, MediaType } from "@harbor-satellite/oci";
import { tarFiles } from "./tar.js";

/** The one file a state artifact carries. */
export const STATE_FILE_NAME = "artifacts.json";

export interface Blob {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export interface StateImage {
  /** Manifest bytes as pushed; its digest is `digest`. */
  manifest: Buffer;
  mediaType: typeof MediaType.DockerManifest;
  digest: string;
  config: Blob;
  layer: Blob;
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids[0]. */
  diffId: string;
}

/** Builds the image for one JSON document. */
export function buildStateImage(json: string): StateImage {
  const tar = tarFiles([{ name: STATE_FILE_NAME, content: Buffer.from(json, "utf8") }]);
  const diffId = digestOf(tar);
  // level 9 and no mtime in the gzip header (zlib writes 0): deterministic bytes.
  const layerBytes = gzipSync(tar, { level: 9 });
  const layer: Blob = { mediaType: MediaType.DockerLayerGzip, digest: digestOf(layerBytes), bytes: layerBytes };

  // Platform fields are set so strict tools (skopeo, containerd) accept the image; the history
  // entry mirrors what mutate.AppendLayers records, without a time.
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created_by: "harbor-satellite ground-control state artifact" }],
    }),
  );
  const config: Blob = { mediaType: MediaType.DockerConfig, digest: digestOf(configBytes), bytes: configBytes };

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: config.mediaType, size: config.bytes.length, digest: config.digest },
      layers: [{ mediaType: layer.mediaType, size: layer.bytes.length, digest: layer.digest }],
    }),
  );
  return { manifest, mediaType: MediaType.DockerManifest, digest: digestOf(manifest), config, layer, diffId };
}
