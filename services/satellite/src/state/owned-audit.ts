// Checks, on every pass, that the images the applied state owns are still there as replicated:
// each owned tag points at the digest the pass stored, and that manifest's tree (child
// manifests, config and layers) is on disk with the sizes its descriptors name. Local reads
// only: the tag from the in-memory index, manifests from the cache, one stat per file, so a
// pass with nothing damaged makes no upstream request at all. What it finds is repaired by the
// state pass (re-replicated from upstream). Bytes are not re-hashed here: that is the scrub's
// job; a file of the wrong size counts as corrupt and is moved to quarantine by the store.
import { isDigest, parseManifest, referencedDescriptors, type Descriptor } from "@harbor-satellite/oci";
import type { OwnedImage } from "../replication/desired-image.js";
import type { BlobCheck, StoredManifest } from "../store/content-store.js";

/** The store, or a replication target (a bring-your-own registry checks blobs per repository). */
export interface AuditStore {
  getManifest(repository: string, reference: string): Promise<StoredManifest | undefined>;
  recheckBlob(digest: string, size: number | undefined, repository: string): Promise<BlobCheck>;
  /** A manifest's own bytes; without it, recheckBlob (the store keeps manifests as blob files). */
  recheckManifest?(repository: string, digest: string, size: number | undefined): Promise<BlobCheck>;
}

export type DamageKind =
  "tag missing" | "tag moved" | "manifest missing" | "manifest corrupt" | "blob missing" | "blob corrupt";

export interface Damage {
  kind: DamageKind;
  /** The manifest or blob concerned (for the tag kinds, the digest the tag should name). */
  digest: string;
}

export interface DamagedImage {
  image: OwnedImage;
  /** Where the tag points now (undefined when it is gone). */
  found?: string;
  damage: Damage[];
}

export interface OwnedAudit {
  /** The owned images whose tag or content is not as replicated; [] when all is well. */
  check(owned: readonly OwnedImage[]): Promise<DamagedImage[]>;
}

/** What a manifest references, remembered by digest (a manifest's bytes never change). */
interface Tree {
  blobs: Descriptor[];
  children: Descriptor[];
}

const MAX_DEPTH = 4;
const MAX_REMEMBERED = 10_000;

/** Layers clients fetch from their `urls`, which a registry need not hold. */
const optional = (d: Descriptor) =>
  d.mediaType.includes("nondistributable") ||
  d.mediaType.includes("foreign") ||
  (d.urls !== undefined && d.urls.length > 0);

export function createOwnedAudit(store: AuditStore): OwnedAudit {
  const trees = new Map<string, Tree>();

  const treeOf = (digest: string, bytes: Buffer, mediaType: string): Tree | undefined => {
    let tree = trees.get(digest);
    if (tree) return tree;
    try {
      const parsed = parseManifest(bytes, mediaType);
      const refs = referencedDescriptors(parsed);
      tree =
        parsed.kind === "index"
          ? { blobs: [], children: refs }
          : { blobs: refs.filter((d) => !optional(d)), children: [] };
    } catch {
      return undefined;
    }
    if (trees.size >= MAX_REMEMBERED) trees.clear();
    trees.set(digest, tree);
    return tree;
  };

  const fileProblem = (check: BlobCheck, what: "manifest" | "blob"): DamageKind | undefined =>
    check === "ok" ? undefined : (`${what} ${check}` as DamageKind);

  /** Every problem in the tree under `digest` (size: the descriptor's, when a parent names one). */
  const checkTree = async (
    repository: string,
    digest: string,
    size: number | undefined,
    depth: number,
    damage: Damage[],
  ): Promise<void> => {
    const manifest = await store.getManifest(repository, digest);
    const manifestSize = size ?? manifest?.bytes.length;
    const check = store.recheckManifest
      ? await store.recheckManifest(repository, digest, manifestSize)
      : await store.recheckBlob(digest, manifestSize, repository);
    const fileKind = fileProblem(check, "manifest");
    if (fileKind || !manifest) {
      damage.push({ kind: fileKind ?? "manifest missing", digest });
      return;
    }
    const tree = treeOf(digest, manifest.bytes, manifest.mediaType);
    if (!tree) {
      damage.push({ kind: "manifest corrupt", digest });
      return;
    }
    for (const blob of tree.blobs) {
      const kind = fileProblem(await store.recheckBlob(blob.digest, blob.size, repository), "blob");
      if (kind) damage.push({ kind, digest: blob.digest });
    }
    if (depth >= MAX_DEPTH) return;
    for (const child of tree.children) await checkTree(repository, child.digest, child.size, depth + 1, damage);
  };

  return {
    async check(owned) {
      const damaged: DamagedImage[] = [];
      for (const image of owned) {
        if (!isDigest(image.digest)) continue;
        const damage: Damage[] = [];
        const found = (await store.getManifest(image.repository, image.tag))?.digest;
        if (found === undefined) damage.push({ kind: "tag missing", digest: image.digest });
        else if (found !== image.digest) damage.push({ kind: "tag moved", digest: image.digest });
        await checkTree(image.repository, image.digest, undefined, 0, damage);
        if (damage.length > 0) damaged.push({ image, found, damage });
      }
      return damaged;
    },
  };
}
