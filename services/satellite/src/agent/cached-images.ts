// What the local registry holds, for the heartbeat's cached_images: one entry per tag,
// `host/repository:tag@sha256:…` with the bytes of its manifest, config and layers. A multi-arch
// index counts itself plus every child manifest the store holds (with their configs and layers),
// where the original skipped indexes altogether. Sizes are remembered per manifest digest, so a
// heartbeat re-reads only manifests it has not seen.
import { parseManifest } from "@harbor-satellite/oci";
import type { ContentStore } from "../store/content-store.js";

export interface CachedImageEntry {
  reference: string;
  sizeBytes: bigint;
}

export interface CachedImageCatalog {
  /** Every tagged image, sorted by reference. */
  list(): Promise<CachedImageEntry[]>;
}

export type CatalogStore = Pick<ContentStore, "listRepositories" | "listTags" | "getManifest">;

const MAX_REMEMBERED = 10_000;

export function createCachedImageCatalog(store: CatalogStore, host: () => string): CachedImageCatalog {
  const sizes = new Map<string, number>();

  const manifestSize = async (
    repository: string,
    digest: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<number> => {
    const known = sizes.get(digest);
    if (known !== undefined) return known;
    let total = bytes.length;
    try {
      const parsed = parseManifest(bytes, mediaType);
      if (parsed.kind === "manifest") {
        total += parsed.manifest.config.size + parsed.manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
      } else {
        for (const child of parsed.manifest.manifests) {
          const stored = await store.getManifest(repository, child.digest);
          if (stored) total += await manifestSize(repository, stored.digest, stored.bytes, stored.mediaType);
        }
      }
    } catch {
      // Not an image manifest we can read (an artifact of another kind): its own bytes only.
    }
    if (sizes.size >= MAX_REMEMBERED) sizes.clear();
    sizes.set(digest, total);
    return total;
  };

  return {
    async list() {
      const prefix = host();
      const entries: CachedImageEntry[] = [];
      for (const repository of await store.listRepositories()) {
        for (const tag of await store.listTags(repository)) {
          const manifest = await store.getManifest(repository, tag);
          if (!manifest) continue; // untagged between the listing and now
          const size = await manifestSize(repository, manifest.digest, manifest.bytes, manifest.mediaType);
          entries.push({ reference: `${prefix}/${repository}:${tag}@${manifest.digest}`, sizeBytes: BigInt(size) });
        }
      }
      return entries.sort((a, b) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0));
    },
  };
}
