// What each tagged image holds on disk, for the quota (quota.ts): from its tag, the manifest, an
// index's child manifests, and every config and layer they reference, each with its file size.
// Reads manifests through the store (its cache) and stats blob files; nothing is hashed. A file
// missing on disk counts nothing (the owned-image audit fetches it again). Signature tags count
// in the image they sign.
import { tagSchemaSubject } from "@harbor-satellite/oci";
import type { ContentStore } from "./content-store.js";
import { manifestInfo } from "./manifest-info.js";

export interface TaggedImage {
  repository: string;
  tag: string;
  /** The manifest the tag points at. */
  digest: string;
  /** Every manifest of the image (the tagged one and an index's children). */
  manifests: string[];
  /** Blob and manifest files it reaches, with their sizes. */
  files: Map<string, number>;
}

export type FootprintStore = Pick<ContentStore, "listRepositories" | "listTags" | "getManifest" | "statBlob">;

/** Every tag in the store, with what its image holds. */
export async function measureTaggedImages(store: FootprintStore): Promise<TaggedImage[]> {
  const sizes = new Map<string, number | undefined>();
  const sizeOf = async (digest: string) => {
    if (!sizes.has(digest)) sizes.set(digest, (await store.statBlob(digest))?.size);
    return sizes.get(digest);
  };
  const images: TaggedImage[] = [];
  const artifacts: { subject: string; image: TaggedImage }[] = [];
  for (const repository of await store.listRepositories())
    for (const tag of await store.listTags(repository)) {
      const image = await measureImage(store, repository, tag, sizeOf);
      const subject = tagSchemaSubject(tag);
      if (image && subject) artifacts.push({ subject, image });
      else if (image) images.push(image);
    }
  return [...images, ...attachToSubjects(images, artifacts)];
}

/**
 * Cosign's `sha256-<hex>.sig|.att|.sbom` tags belong to the image they are for (GC collects them
 * with it, gc.ts): their files count in each image of the repository that holds the subject, so
 * evicting that image frees them too. One whose subject no image holds is listed on its own.
 */
function attachToSubjects(
  images: readonly TaggedImage[],
  artifacts: readonly { subject: string; image: TaggedImage }[],
): TaggedImage[] {
  const alone: TaggedImage[] = [];
  for (const { subject, image: artifact } of artifacts) {
    const holders = images.filter((i) => i.repository === artifact.repository && i.manifests.includes(subject));
    for (const holder of holders) for (const [digest, size] of artifact.files) holder.files.set(digest, size);
    if (holders.length === 0) alone.push(artifact);
  }
  return alone;
}

async function measureImage(
  store: FootprintStore,
  repository: string,
  tag: string,
  sizeOf: (digest: string) => Promise<number | undefined>,
): Promise<TaggedImage | undefined> {
  const top = await store.getManifest(repository, tag);
  if (!top) return undefined; // untagged meanwhile
  const image: TaggedImage = { repository, tag, digest: top.digest, manifests: [], files: new Map() };
  const stack = [top];
  while (stack.length > 0) {
    const manifest = stack.pop()!;
    if (image.files.has(manifest.digest)) continue;
    image.manifests.push(manifest.digest);
    image.files.set(manifest.digest, manifest.bytes.length);
    let info;
    try {
      info = manifestInfo(manifest.digest, manifest.bytes, manifest.mediaType);
    } catch {
      continue; // the store accepted it, so this does not happen; a foreign file reaches nothing
    }
    for (const blob of info.blobs) {
      const size = await sizeOf(blob);
      if (size !== undefined) image.files.set(blob, size);
    }
    for (const child of info.children) {
      const next = await store.getManifest(repository, child);
      if (next) stack.push(next);
    }
  }
  return image;
}
