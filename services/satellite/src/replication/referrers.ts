// Copies an image's referrers (cosign signatures and attestations, SBOMs, notation signatures)
// beside it, so the satellite's registry can answer for them as the upstream would. Discovery:
// the OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`); when the upstream has none
// (404, e.g. docker-registry 2.8), the spec's referrers tag schema (`sha256-<hex>`, an index of
// the referrers). Cosign's tags (`sha256-<hex>.sig`, `.att`, `.sbom`) are read in both cases:
// cosign stores signatures that way even where a referrers API exists, and they are copied under
// the same tag. A referrer is stored by digest with its blobs; its `subject` puts it in the local
// referrers index. Failures here never fail the image: they are logged and retried next pass
// (a missing signature then shows in the signature policy's verdict).
import {
  COSIGN_TAG_SUFFIXES,
  RegistryError,
  cosignTag,
  tagSchemaTag,
  type Descriptor,
  type Manifest,
  type RegistryClient,
} from "@harbor-satellite/oci";
import type { BlobCopier } from "./copy-blob.js";
import type { Limiter } from "./limiter.js";
import { resolveImage } from "./manifest-tree.js";
import type { Progress } from "./progress.js";
import type { ReplicationTarget } from "./replication-target.js";

export interface ReferrerContext {
  target: ReplicationTarget;
  client: RegistryClient;
  copier: BlobCopier;
  requests: Limiter;
  progress: Progress;
  signal?: AbortSignal;
  /** A repair pass (the store was found damaged): referrers are asked for whatever was asked recently. */
  repair?: boolean;
}

export interface ReferrersOutcome {
  /** Referrer manifests (and cosign tags) newly stored. */
  stored: number;
  /** How they were found: the referrers API, or the tag schema fallback. */
  discovery: "referrers-api" | "tag-schema";
}

/** What the upstream holds for a digest: its referrers, and its cosign tags' manifests. */
export interface FoundReferrers {
  descriptors: Descriptor[];
  discovery: ReferrersOutcome["discovery"];
  cosign: { tag: string; manifest: Manifest | undefined }[];
}

/**
 * The lookups alone (no store write), so they can run while the image's own blobs copy. They go
 * out at once under the requests limiter: an image without referrers costs one round trip, not
 * five in a row.
 */
export async function findReferrers(repository: string, digest: string, ctx: ReferrerContext): Promise<FoundReferrers> {
  const cosignTags = COSIGN_TAG_SUFFIXES.map((suffix) => cosignTag(digest, suffix));
  const [{ descriptors, discovery }, manifests] = await Promise.all([
    discover(ctx, repository, digest),
    Promise.all(cosignTags.map((tag) => getOptional(ctx, repository, tag))),
  ]);
  return { descriptors, discovery, cosign: cosignTags.map((tag, i) => ({ tag, manifest: manifests[i] })) };
}

/** Stores what findReferrers found (after the image itself), in order: referrers, then cosign tags. */
export async function storeReferrers(
  repository: string,
  found: FoundReferrers,
  ctx: ReferrerContext,
): Promise<ReferrersOutcome> {
  let stored = 0;
  for (const descriptor of unique(found.descriptors))
    if (await copyReferrer(ctx, repository, descriptor.digest)) stored++;
  for (const { tag, manifest } of found.cosign)
    if (manifest && (await storeWithBlobs(ctx, repository, manifest, tag))) stored++;
  return { stored, discovery: found.discovery };
}

/** The referrers API's answer or, where the upstream has none, the tag-schema index's. */
async function discover(
  ctx: ReferrerContext,
  repository: string,
  digest: string,
): Promise<{ descriptors: Descriptor[]; discovery: ReferrersOutcome["discovery"] }> {
  const { client, requests, signal } = ctx;
  const fromApi = await requests.run(() => client.listReferrers(repository, digest, { signal }));
  if (fromApi !== undefined) return { descriptors: fromApi, discovery: "referrers-api" };
  const index = await getOptional(ctx, repository, tagSchemaTag(digest));
  return { descriptors: index ? referrersOfIndex(index) : [], discovery: "tag-schema" };
}

/** Fetches a referrer by digest and stores it (with its blobs) unless the store has it. */
async function copyReferrer(ctx: ReferrerContext, repository: string, digest: string): Promise<boolean> {
  if (await ctx.target.getManifest(repository, digest, ctx.signal)) return false;
  const manifest = await download(ctx, repository, digest);
  return storeWithBlobs(ctx, repository, manifest);
}

/** Stores a manifest (an index's children first) after copying every blob it needs; false when already there. */
async function storeWithBlobs(
  ctx: ReferrerContext,
  repository: string,
  manifest: Manifest,
  tag?: string,
): Promise<boolean> {
  const { target, signal } = ctx;
  const held = tag
    ? await target.tagDigest(repository, tag, signal)
    : (await target.getManifest(repository, manifest.digest, signal))?.digest;
  if (held === manifest.digest) return false;
  const stored = async (d: string) => (await target.getManifest(repository, d, signal)) !== undefined;
  const resolved = await resolveImage(manifest, { fetch: (d) => download(ctx, repository, d), stored });
  for (const blob of resolved.blobs) await ctx.copier.ensure(repository, blob, ctx.signal);
  for (const child of resolved.children)
    await target.putManifest(repository, child.bytes, child.mediaType, undefined, signal);
  await target.putManifest(repository, manifest.bytes, manifest.mediaType, tag, signal);
  return true;
}

async function download(ctx: ReferrerContext, repository: string, reference: string): Promise<Manifest> {
  const manifest = await ctx.requests.run(() => ctx.client.getManifest(repository, reference, { signal: ctx.signal }));
  ctx.progress.received(manifest.bytes.length);
  return manifest;
}

/** A manifest by tag, or undefined when the upstream has no such tag. */
async function getOptional(ctx: ReferrerContext, repository: string, tag: string): Promise<Manifest | undefined> {
  try {
    return await download(ctx, repository, tag);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}

/** The referrers a tag-schema index lists (anything else under that tag lists none). */
function referrersOfIndex(index: Manifest): Descriptor[] {
  try {
    const body = JSON.parse(index.bytes.toString("utf8")) as { manifests?: unknown };
    return Array.isArray(body.manifests)
      ? body.manifests.filter((d): d is Descriptor => typeof (d as Descriptor)?.digest === "string")
      : [];
  } catch {
    return [];
  }
}

function unique(descriptors: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
}
