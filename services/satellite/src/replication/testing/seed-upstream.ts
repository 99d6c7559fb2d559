// Builds small OCI images and indexes straight into a fake registry, for engine tests.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { FakeRegistry } from "@harbor-satellite/oci/testing";

export interface SeededImage {
  digest: string;
  manifest: Buffer;
  config: string;
  layers: string[];
}

export function seedImage(
  registry: FakeRegistry,
  repository: string,
  tag: string | undefined,
  layers: Buffer[],
  platform = { os: "linux", architecture: "amd64" },
): SeededImage {
  const config = Buffer.from(
    JSON.stringify({ ...platform, rootfs: { type: "layers", diff_ids: layers.map((l) => digestOf(l)) } }),
  );
  const configDigest = registry.putBlob(config);
  const layerDigests = layers.map((l) => registry.putBlob(l));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
      layers: layers.map((l, i) => ({ mediaType: MediaType.OciLayer, digest: layerDigests[i], size: l.length })),
    }),
  );
  const digest = registry.putManifest(repository, tag ?? digestOf(manifest), manifest, MediaType.OciManifest);
  return { digest, manifest, config: configDigest, layers: layerDigests };
}

export function seedIndex(
  registry: FakeRegistry,
  repository: string,
  tag: string,
  images: { image: SeededImage; platform: { os: string; architecture: string; variant?: string } }[],
): { digest: string; manifest: Buffer } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map(({ image, platform }) => ({
        mediaType: MediaType.OciManifest,
        digest: image.digest,
        size: image.manifest.length,
        platform,
      })),
    }),
  );
  return { digest: registry.putManifest(repository, tag, manifest, MediaType.OciIndex), manifest };
}
