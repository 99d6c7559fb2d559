// One repository in memory: its tags, the manifests it holds, the blobs those manifests
// reference (counted), blobs uploaded or mounted but not yet referenced, and which manifests
// refer to which subject. All methods are synchronous, so a caller sees a consistent state
// between two awaits; durability is the RepositoryIndex owner's job (index.json).
import type { Descriptor } from "@harbor-satellite/oci";
import { referrerDescriptor, type ManifestInfo } from "./manifest-info.js";

export interface Membership {
  mediaType: string;
  info: ManifestInfo;
  /**
   * Set while nothing claims this untagged manifest yet (no tag, no index in the repository
   * lists it, no subject it refers to): GC spares it for a grace period, so a push that sends
   * children by digest before their index is not swept half-way.
   */
  pendingSince?: number;
}

export class Repository {
  readonly tags = new Map<string, string>();
  readonly manifests = new Map<string, Membership>();
  /** blob digest → how many member manifests reference it. */
  readonly blobRefs = new Map<string, number>();
  /** blob digest → when it was uploaded or mounted here; dropped once a manifest references it. */
  readonly uploads = new Map<string, number>();
  /** subject digest → digests of member manifests whose `subject` is it. */
  readonly referrers = new Map<string, Set<string>>();
  private sortedTags: string[] | undefined;

  constructor(readonly name: string) {}

  isEmpty(): boolean {
    return this.manifests.size === 0 && this.uploads.size === 0;
  }

  /** Blobs of its manifests, uploads and mounts, and (as in distribution) its manifests' own bytes. */
  hasBlob(digest: string): boolean {
    return this.blobRefs.has(digest) || this.uploads.has(digest) || this.manifests.has(digest);
  }

  /** Adds a manifest (idempotent) and resolves what it claims. Returns true when it was new. */
  addManifest(info: ManifestInfo, mediaType: string, now: number, pending: boolean): boolean {
    const existing = this.manifests.get(info.digest);
    if (existing) {
      if (!pending) existing.pendingSince = undefined;
      return false;
    }
    const membership: Membership = { mediaType, info, pendingSince: pending ? now : undefined };
    this.manifests.set(info.digest, membership);
    for (const blob of info.blobs) {
      this.blobRefs.set(blob, (this.blobRefs.get(blob) ?? 0) + 1);
      this.uploads.delete(blob);
    }
    for (const child of info.children) this.claim(child);
    if (info.subject) {
      let set = this.referrers.get(info.subject);
      if (!set) this.referrers.set(info.subject, (set = new Set()));
      set.add(info.digest);
      if (this.manifests.has(info.subject)) membership.pendingSince = undefined;
    }
    for (const referrer of this.referrers.get(info.digest) ?? []) this.claim(referrer);
    return true;
  }

  /** Removes a manifest and every tag naming it. Returns false when it was not here. */
  removeManifest(digest: string): boolean {
    const membership = this.manifests.get(digest);
    if (!membership) return false;
    this.manifests.delete(digest);
    for (const [tag, target] of this.tags) if (target === digest) this.deleteTag(tag);
    for (const blob of membership.info.blobs) {
      const left = (this.blobRefs.get(blob) ?? 1) - 1;
      if (left > 0) this.blobRefs.set(blob, left);
      else this.blobRefs.delete(blob);
    }
    const subject = membership.info.subject;
    if (subject) {
      const set = this.referrers.get(subject);
      set?.delete(digest);
      if (set?.size === 0) this.referrers.delete(subject);
    }
    return true;
  }

  /** Points a tag at a member manifest (which stops being pending). */
  setTag(tag: string, digest: string): void {
    const membership = this.manifests.get(digest);
    if (!membership) throw new Error(`tag ${tag}: ${digest} is not in ${this.name}`);
    membership.pendingSince = undefined;
    if (this.tags.get(tag) !== digest) {
      if (!this.tags.has(tag)) this.sortedTags = undefined;
      this.tags.set(tag, digest);
    }
  }

  deleteTag(tag: string): boolean {
    const had = this.tags.delete(tag);
    if (had) this.sortedTags = undefined;
    return had;
  }

  /** Tags in ASCII order (Go's sort.Strings, as the spec asks). */
  listTags(): readonly string[] {
    this.sortedTags ??= [...this.tags.keys()].sort(compareAscii);
    return this.sortedTags;
  }

  /** The tags naming each member digest, for index.json. */
  tagsByDigest(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const tag of this.listTags()) {
      const digest = this.tags.get(tag) as string;
      const list = out.get(digest);
      if (list) list.push(tag);
      else out.set(digest, [tag]);
    }
    return out;
  }

  /** The referrers API's descriptors for `subject`, in digest order, optionally of one artifact type. */
  referrerDescriptors(subject: string, artifactType?: string): Descriptor[] {
    const out: Descriptor[] = [];
    for (const digest of [...(this.referrers.get(subject) ?? [])].sort()) {
      const membership = this.manifests.get(digest);
      if (!membership) continue;
      if (artifactType !== undefined && membership.info.artifactType !== artifactType) continue;
      out.push(referrerDescriptor(membership.info, membership.mediaType));
    }
    return out;
  }

  private claim(digest: string): void {
    const membership = this.manifests.get(digest);
    if (membership) membership.pendingSince = undefined;
  }
}

/** Byte-wise comparison: what Go's sort.Strings does for the ASCII names the spec allows. */
export function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
