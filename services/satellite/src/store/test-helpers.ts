// Helpers shared by the store's and the registry's unit tests: temp data dirs and small
// manifests built in memory (real digests, real sizes).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaType, digestOf, type Descriptor } from "@harbor-satellite/oci";
import type { BlobWriter, ContentStore } from "./content-store.js";
import { openContentStore, type OpenStoreOptions } from "./open-store.js";
import type { FsContentStore } from "./fs-content-store.js";

export async function tempDir(prefix = "hs-store-"): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function openTempStore(
  options: Partial<OpenStoreOptions> = {},
): Promise<{ store: FsContentStore; dir: string; cleanup: () => Promise<void> }> {
  const { dir, remove } = await tempDir();
  const store = await openContentStore({ root: dir, ...options });
  return { store, dir, cleanup: async () => (await store.close(), await remove()) };
}

export async function writeBlob(store: ContentStore, data: Buffer | string): Promise<Descriptor> {
  const bytes = Buffer.from(data);
  const writer: BlobWriter = await store.createBlobWriter();
  await writer.write(bytes);
  const info = await writer.commit({ digest: digestOf(bytes), size: bytes.length });
  return { mediaType: MediaType.OciLayer, digest: info.digest, size: info.size };
}

export function descriptorOf(data: Buffer | string, mediaType: string = MediaType.OciLayer): Descriptor {
  const bytes = Buffer.from(data);
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

/**
 * An OCI image manifest over the given config and layers (which need not be stored). A config
 * descriptor straight from writeBlob (typed as a layer) is typed as an image config.
 */
export function imageManifest(config: Descriptor, layers: Descriptor[], extra: Record<string, unknown> = {}): Buffer {
  const configType = config.mediaType === MediaType.OciLayer ? MediaType.OciConfig : config.mediaType;
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { ...config, mediaType: configType },
      layers,
      ...extra,
    }),
  );
}

export function indexManifest(
  children: { bytes: Buffer; mediaType?: string }[],
  extra: Record<string, unknown> = {},
): Buffer {
  const manifests = children.map((c, i) => ({
    mediaType: c.mediaType ?? MediaType.OciManifest,
    digest: digestOf(c.bytes),
    size: c.bytes.length,
    platform: { os: "linux", architecture: ["amd64", "arm64", "s390x", "ppc64le"][i % 4] },
  }));
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests, ...extra }));
}

/** Stores a config and one layer, and returns an image manifest over them (not yet put). */
export async function storedImage(
  store: ContentStore,
  seed: string,
): Promise<{ manifest: Buffer; digest: string; blobs: Descriptor[] }> {
  const config = await writeBlob(store, JSON.stringify({ seed, os: "linux", architecture: "amd64" }));
  const layer = await writeBlob(store, `layer of ${seed}`);
  const manifest = imageManifest(config, [layer]);
  return { manifest, digest: digestOf(manifest), blobs: [config, layer] };
}
