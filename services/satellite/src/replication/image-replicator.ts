// Replicates one desired image into the target (the store, or a bring-your-own registry):
// decide whether anything changed (a pinned digest the tag already holds costs no request; a tag
// held in the target costs one manifest HEAD upstream; a new tag goes straight to the GET),
// resolve the manifest tree, copy the blobs the target lacks, then store manifests bottom-up with
// their exact bytes and tag the root last. A failure anywhere leaves the tag as it was. In repair
// mode (an image whose copy was found damaged) nothing is taken as up to date: every manifest is
// read from the target when its bytes still hash to its digest, else fetched, and every blob is
// checked.
import {
  RegistryError,
  digestOf,
  isDigest,
  parseDigest,
  type Descriptor,
  type Manifest,
  type RegistryClient,
} from "@harbor-satellite/oci";
import type { ContentStore } from "../store/content-store.js";
import type { BlobCopier } from "./copy-blob.js";
import type { DesiredImage, OwnedImage } from "./desired-image.js";
import { resolveImage } from "./manifest-tree.js";
import type { Limiter } from "./limiter.js";
import type { PlatformFilter } from "./platform.js";
import { isUpToDate } from "./planner.js";
import type { Progress } from "./progress.js";
import type { ReplicationTarget } from "./replication-target.js";

export interface ImageContext {
  /** Where images go: the store, or a bring-your-own registry. */
  target: ReplicationTarget;
  /** The satellite's own store (what `target` wraps unless a bring-your-own registry is used). */
  store: ContentStore;
  client: RegistryClient;
  copier: BlobCopier;
  /** Bounds manifest requests to the upstream. */
  requests: Limiter;
  progress: Progress;
  platform?: PlatformFilter;
  signal?: AbortSignal;
  /** See ReplicationRequest.repair. */
  repair?: boolean;
  /** Waits, with the image's blobs resolved, until the pass may fetch (fetch-plan.ts); may refuse. */
  beforeCopy?: (blobs: readonly Descriptor[]) => Promise<void>;
  /** Hears the digests to look referrers up for (the root, and the upstream's top manifest) once resolved. */
  onResolved?: (digests: readonly string[]) => void;
}

export interface ImageOutcome {
  status: "copied" | "unchanged";
  owned: OwnedImage;
  blobsCopied: number;
  blobsSkipped: number;
}

export async function replicateImage(
  image: DesiredImage,
  owned: OwnedImage | undefined,
  ctx: ImageContext,
): Promise<ImageOutcome> {
  const { target, client, requests, signal } = ctx;
  const localDigest = await target.tagDigest(image.repository, image.tag, signal);
  const local = localDigest === undefined ? undefined : { digest: localDigest };
  const unchanged = (sourceDigest: string): ImageOutcome => ({
    status: "unchanged",
    owned: { repository: image.repository, tag: image.tag, digest: local!.digest, sourceDigest },
    blobsCopied: 0,
    blobsSkipped: 0,
  });
  const repair = ctx.repair === true;
  if (image.digest && !repair && isUpToDate(image.digest, local?.digest, owned)) return unchanged(image.digest);

  let reference = image.digest;
  // With nothing local to compare against, a HEAD would only delay the GET by tag.
  if (!reference && local === undefined) reference = image.tag;
  if (!reference) {
    const head = await requests.run(() => client.headManifest(image.repository, image.tag, { signal }));
    if (!head)
      throw new RegistryError(
        404,
        "MANIFEST_UNKNOWN",
        "manifest unknown",
        `${client.url}/v2/${image.repository}/manifests/${image.tag}`,
        "HEAD",
      );
    if (head.digest && !repair && isUpToDate(head.digest, local?.digest, owned)) return unchanged(head.digest);
    reference = head.digest ?? image.tag;
  }

  const download = async (ref: string): Promise<Manifest> => {
    const manifest = await requests.run(() => client.getManifest(image.repository, ref, { signal }));
    ctx.progress.received(manifest.bytes.length);
    return manifest;
  };
  /** The store's copy when its bytes still hash to the digest (repair trusts nothing less). */
  const intact = async (digest: string): Promise<Manifest | undefined> => {
    const held = await target.getManifest(image.repository, digest, signal);
    return held && (!repair || digestOf(held.bytes, parseDigest(digest).algorithm) === digest) ? held : undefined;
  };
  const fetch = repair ? async (ref: string) => (await intact(ref)) ?? (await download(ref)) : download;
  // A tag moved back to a manifest the store still holds (a rollback) needs no download.
  const top = (isDigest(reference) ? await intact(reference) : undefined) ?? (await download(reference));
  // Repair walks stored children too: one of their blobs may be what is missing.
  const stored = repair
    ? async () => false
    : async (d: string) => (await target.getManifest(image.repository, d, signal)) !== undefined;
  const resolved = await resolveImage(top, { fetch, stored }, ctx.platform);
  // Big layers' copy threads start while the small blobs' presence is checked (a thread takes
  // ~40-80 ms to start); an image of small layers starts none (worker-pool.ts).
  ctx.copier.warm(resolved.blobs);
  ctx.onResolved?.([resolved.root.digest, top.digest]);
  await ctx.beforeCopy?.(resolved.blobs);

  // Settle every copy before failing, so no copy of this image outlives its result.
  const settled = await Promise.allSettled(
    resolved.blobs.map((blob) => ctx.copier.ensure(image.repository, blob, signal)),
  );
  const failure = settled.find((s) => s.status === "rejected");
  if (failure) throw failure.reason;
  const outcomes = settled.map((s) => (s as PromiseFulfilledResult<string>).value);
  // Children first: a registry refuses an index naming a manifest it lacks.
  for (const child of resolved.children)
    await target.putManifest(image.repository, child.bytes, child.mediaType, undefined, signal);
  await target.putManifest(image.repository, resolved.root.bytes, resolved.root.mediaType, image.tag, signal);
  return {
    status: "copied",
    owned: { repository: image.repository, tag: image.tag, digest: resolved.root.digest, sourceDigest: top.digest },
    blobsCopied: outcomes.filter((o) => o === "copied").length,
    blobsSkipped: outcomes.filter((o) => o === "skipped").length,
  };
}
