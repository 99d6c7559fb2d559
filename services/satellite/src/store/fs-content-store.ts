// The content store on a local filesystem: an OCI image layout at the data dir root (paths.ts),
// blobs verified while written and renamed into place, repositories and tags in memory and in
// index.json. Writes hold a shared lock and GC an exclusive one (rw-lock.ts).
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import {
  ManifestInvalidError,
  OciError,
  digestOf,
  isDigest,
  isRepositoryName,
  isTag,
  type Descriptor,
  type DigestAlgorithm,
} from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { BlobFiles } from "./blob-files.js";
import { FsBlobWriter, type ResumableBlobWriter } from "./blob-writer.js";
import type { BlobCheck, BlobInfo, ByteRange, KeptPartial, StoredManifest, TempFile } from "./content-store.js";
import { collectGarbage } from "./gc.js";
import { IndexFile } from "./index-file.js";
import type { ManifestCache } from "./manifest-cache.js";
import { manifestInfo, type ManifestInfo } from "./manifest-info.js";
import { paginate } from "./pagination.js";
import type { StorePaths } from "./paths.js";
import type { RepositoryIndex } from "./repository-index.js";
import { RwLock } from "./rw-lock.js";
import { Scrubber, type ScrubPass, type ScrubPassOptions } from "./scrub.js";
import type {
  GcOptions,
  Page,
  PageRequest,
  ScrubOptions,
  ServingStore,
  StoreManifestOptions,
  StoredManifestResult,
  UnlinkResult,
} from "./serving-store.js";
import { keepPartialFile, listPartialFiles } from "./partial-blobs.js";
import { FsTempFile } from "./temp-file.js";
import { verifyStore, type VerifyReport } from "./verify.js";

export interface FsContentStoreParts {
  paths: StorePaths;
  files: BlobFiles;
  index: RepositoryIndex;
  cache: ManifestCache;
  logger: Logger;
  gcGraceMs: number;
  release: () => Promise<void>;
}

export class FsContentStore implements ServingStore {
  readonly root: string;
  private readonly paths: StorePaths;
  private readonly files: BlobFiles;
  private readonly index: RepositoryIndex;
  private readonly cache: ManifestCache;
  private readonly logger: Logger;
  private readonly gcGraceMs: number;
  private readonly release: () => Promise<void>;
  private readonly lock = new RwLock();
  private readonly indexFile: IndexFile;
  private readonly scrubber: Scrubber;
  /** Blobs committed by this process that no manifest references yet → when. GC spares them. */
  private readonly recentBlobs = new Map<string, number>();
  private holders = 0;

  constructor(parts: FsContentStoreParts) {
    ({
      paths: this.paths,
      files: this.files,
      index: this.index,
      cache: this.cache,
      logger: this.logger,
      gcGraceMs: this.gcGraceMs,
      release: this.release,
    } = parts);
    this.root = parts.paths.root;
    this.indexFile = new IndexFile(this.paths.index, this.paths.ingest, () => this.index.serialize());
    this.scrubber = new Scrubber(this.files, (digest) => this.quarantine(digest), this.logger);
  }

  /** Tells the index writer what is on disk already, so an unchanged state is not rewritten. */
  markIndexWritten(text: string): void {
    this.indexFile.markWritten(text);
  }

  persistIndex(): Promise<void> {
    return this.indexFile.persist();
  }

  // ── blobs ──────────────────────────────────────────────────────────────────────────────────

  statBlob(digest: string): Promise<BlobInfo | undefined> {
    return this.files.stat(digest);
  }

  async blobPath(digest: string): Promise<string | undefined> {
    return (await this.files.stat(digest)) ? this.files.path(digest) : undefined;
  }

  async openBlob(digest: string, range?: ByteRange): Promise<Readable> {
    const info = await this.files.require(digest);
    if (range && (range.start < 0 || range.end < range.start || range.end >= info.size)) {
      throw new OciError("RANGE_INVALID", undefined, { size: info.size, range });
    }
    return this.files.open(digest, info.size, range);
  }

  async createBlobWriter(options: { algorithm?: DigestAlgorithm } = {}): Promise<ResumableBlobWriter> {
    const path = this.paths.ingestFile("blob");
    const handle = await open(path, "wx");
    return new FsBlobWriter(handle, path, options.algorithm ?? "sha256", this.installBlob);
  }

  async createTempFile(): Promise<TempFile> {
    // Only a name: the worker that fills it creates it, so this thread opens no file per layer.
    return new FsTempFile(this.paths.ingestFile("temp"), this.installLayer);
  }

  async keepPartial(temp: TempFile, digest: string): Promise<TempFile> {
    return new FsTempFile(await keepPartialFile(this.paths, temp.path, digest), this.installLayer);
  }

  async keptPartials(): Promise<KeptPartial[]> {
    const files = await listPartialFiles(this.paths);
    return files.map(({ digest, bytes, path }) => ({ digest, bytes, temp: new FsTempFile(path, this.installLayer) }));
  }

  /**
   * Renames a verified file into blobs/. A blob writer's (registry uploads) is durable when this
   * returns; the engine's temp files (installLayer) wait for the folder fsync until a manifest
   * references them (storeManifest syncs deferred renames before it commits), so a pass's layers
   * share one: until then a power cut may lose the rename, never a blob a manifest or tag names.
   */
  private installWith(folderSync: "now" | "deferred") {
    return (tempPath: string, digest: string, size: number): Promise<BlobInfo> =>
      this.lock.withShared(async () => {
        const info = await this.files.install(tempPath, digest, size, { folderSync });
        this.recentBlobs.set(digest, Date.now());
        return info;
      });
  }
  private readonly installBlob = this.installWith("now");
  private readonly installLayer = this.installWith("deferred");

  async recheckBlob(digest: string, size?: number): Promise<BlobCheck> {
    const info = await this.files.restat(digest);
    if (!info) {
      this.cache.delete(digest);
      return "missing";
    }
    if (size !== undefined && info.size !== size) {
      await this.quarantine(digest).catch(() => this.files.remove(digest));
      return "corrupt";
    }
    return "ok";
  }

  hasRepository(repository: string): boolean {
    return this.index.get(repository) !== undefined;
  }

  async statRepositoryBlob(repository: string, digest: string): Promise<BlobInfo | undefined> {
    if (!this.index.get(repository)?.hasBlob(digest)) return undefined;
    return this.files.stat(digest);
  }

  linkBlob(repository: string, digest: string): Promise<BlobInfo | undefined> {
    checkRepository(repository);
    return this.lock.withShared(async () => {
      const info = await this.files.stat(digest);
      if (!info) return undefined;
      const repo = this.index.ensure(repository);
      if (!repo.blobRefs.has(digest)) repo.uploads.set(digest, Date.now());
      return info;
    });
  }

  async unlinkBlob(repository: string, digest: string): Promise<UnlinkResult> {
    const repo = this.index.get(repository);
    if (!repo?.hasBlob(digest) || !(await this.files.stat(digest))) return "unknown";
    if (repo.blobRefs.has(digest) || repo.manifests.has(digest)) return "referenced";
    repo.uploads.delete(digest);
    this.index.dropIfEmpty(repository);
    return "unlinked";
  }

  // ── manifests ──────────────────────────────────────────────────────────────────────────────

  async putManifest(repository: string, bytes: Buffer, mediaType: string, tag?: string): Promise<string> {
    return (await this.storeManifest(repository, bytes, mediaType, { tags: tag === undefined ? [] : [tag] })).digest;
  }

  async storeManifest(
    repository: string,
    bytes: Buffer,
    contentType: string,
    options: StoreManifestOptions = {},
  ): Promise<StoredManifestResult> {
    checkRepository(repository);
    const tags = options.tags ?? [];
    for (const tag of tags) if (!isTag(tag)) throw new OciError("TAG_INVALID", undefined, { tag });
    const digest = digestOf(bytes, options.algorithm ?? "sha256");
    let info: ManifestInfo;
    try {
      info = manifestInfo(digest, bytes, contentType);
    } catch (error) {
      if (error instanceof ManifestInvalidError) throw new OciError("MANIFEST_INVALID", error.message);
      throw error;
    }
    return this.lock.withShared(async () => {
      for (const blob of info.blobs) {
        if (!info.optionalBlobs.has(blob) && !(await this.files.stat(blob)))
          throw new OciError("MANIFEST_BLOB_UNKNOWN", undefined, { digest: blob });
      }
      const children = await this.childInfos(repository, info);
      // The blobs it references are durable before the manifest and index.json name them.
      await this.files.syncDeferred();
      if (!(await this.files.stat(digest))) await this.writeManifestBlob(digest, bytes);
      const repo = this.index.ensure(repository);
      const now = Date.now();
      for (const child of children) repo.addManifest(child.info, child.mediaType, now, false);
      repo.addManifest(info, info.mediaType, now, tags.length === 0);
      for (const tag of tags) repo.setTag(tag, digest);
      for (const blob of info.blobs) this.recentBlobs.delete(blob);
      this.recentBlobs.delete(digest);
      this.cache.set(digest, bytes);
      this.index.namesChanged();
      await this.indexFile.persist();
      return { digest, mediaType: info.mediaType, subject: info.subject };
    });
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    const repo = this.index.get(repository);
    if (!repo) return undefined;
    const digest = isDigest(reference) ? reference : repo.tags.get(reference);
    const membership = digest === undefined ? undefined : repo.manifests.get(digest);
    if (!membership || digest === undefined) return undefined;
    let bytes = this.cache.get(digest);
    if (!bytes) {
      bytes = await this.files.read(digest);
      if (!bytes) return undefined;
      this.cache.set(digest, bytes);
    }
    return { digest, mediaType: membership.mediaType, bytes };
  }

  deleteManifest(repository: string, reference: string): Promise<boolean> {
    return this.lock.withShared(async () => {
      const repo = this.index.get(repository);
      if (!repo) return false;
      const removed = isDigest(reference) ? repo.removeManifest(reference) : repo.deleteTag(reference);
      if (!removed) return false;
      this.index.dropIfEmpty(repository);
      this.index.namesChanged();
      await this.indexFile.persist();
      return true;
    });
  }

  async listTags(repository: string): Promise<string[]> {
    return [...(this.index.get(repository)?.listTags() ?? [])];
  }

  async listRepositories(): Promise<string[]> {
    return [...this.index.names()];
  }

  pageTags(repository: string, page: PageRequest = {}): Page | undefined {
    const repo = this.index.get(repository);
    return repo ? paginate(repo.listTags(), page) : undefined;
  }

  pageRepositories(page: PageRequest = {}): Page {
    return paginate(this.index.names(), page);
  }

  referrers(repository: string, subject: string, artifactType?: string): Descriptor[] {
    return this.index.get(repository)?.referrerDescriptors(subject, artifactType) ?? [];
  }

  // ── housekeeping ───────────────────────────────────────────────────────────────────────────

  collectGarbage(options: GcOptions = {}): ReturnType<typeof collectGarbage> {
    const parts = {
      index: this.index,
      files: this.files,
      indexFile: this.indexFile,
      cache: this.cache,
      logger: this.logger,
    };
    const graceMs = options.graceMs ?? this.gcGraceMs;
    return this.lock.withExclusive(() => collectGarbage(parts, this.recentBlobs, graceMs));
  }

  async usage(): Promise<{ bytes: number; blobs: number }> {
    let bytes = 0;
    let blobs = 0;
    for (const digest of await this.files.list()) {
      const info = await this.files.stat(digest);
      if (!info) continue;
      bytes += info.size;
      blobs++;
    }
    return { bytes, blobs };
  }

  verify(): Promise<VerifyReport> {
    return verifyStore(this.root);
  }

  startScrub(options: ScrubOptions): void {
    this.scrubber.start(options);
  }

  /** One scrub pass now, at the given rate; returns the digests it quarantined. */
  async scrubOnce(bytesPerSecond = Number.MAX_SAFE_INTEGER): Promise<string[]> {
    return (await this.scrubber.pass({ bytesPerSecond })).quarantined;
  }

  /** One scrub pass now (the agent's scheduled scrub): what it read and what it quarantined. */
  scrubPass(options: ScrubPassOptions, signal?: AbortSignal): Promise<ScrubPass> {
    return this.scrubber.pass(options, signal);
  }

  /** One more holder (openContentStore); the store closes when the last one calls close(). */
  retain(): void {
    this.holders++;
  }

  async close(): Promise<void> {
    if (--this.holders > 0) return;
    await this.scrubber.stop();
    // Waits for writes in flight (they hold the lock shared) before letting the data dir go.
    await this.lock.withExclusive(async () => {
      try {
        await this.files.syncDeferred();
      } finally {
        await this.release();
      }
    });
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  /** Child manifests of an index, each present in the store; linked into the repository too. */
  private async childInfos(
    repository: string,
    info: ManifestInfo,
  ): Promise<{ info: ManifestInfo; mediaType: string }[]> {
    const repo = this.index.get(repository);
    const out: { info: ManifestInfo; mediaType: string }[] = [];
    for (const child of info.children) {
      const member = repo?.manifests.get(child);
      if (member) continue;
      const bytes = await this.files.read(child);
      if (!bytes) throw new OciError("MANIFEST_BLOB_UNKNOWN", undefined, { digest: child });
      try {
        const childInfo = manifestInfo(child, bytes);
        out.push({ info: childInfo, mediaType: childInfo.mediaType });
      } catch {
        throw new OciError("MANIFEST_BLOB_UNKNOWN", `index child ${child} is not a manifest`, { digest: child });
      }
    }
    return out;
  }

  /** Manifest bytes become a blob like any other: temp file, fsync, rename. */
  private async writeManifestBlob(digest: string, bytes: Buffer): Promise<void> {
    const path = this.paths.ingestFile("manifest");
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.files.install(path, digest, bytes.length);
  }

  private async quarantine(digest: string): Promise<void> {
    this.cache.delete(digest);
    const where = await this.files.quarantine(digest);
    this.logger.warn({ digest, where }, "blob quarantined");
  }
}

function checkRepository(repository: string): void {
  if (!isRepositoryName(repository)) throw new OciError("NAME_INVALID", undefined, { name: repository });
}
