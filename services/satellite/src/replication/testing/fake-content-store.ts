// A small ContentStore for the replication engine's unit tests, keeping the contract's invariants
// that replication relies on: blobs appear only after verify + fsync + rename (temp files live in
// an `ingest/` folder of the same filesystem), manifests are stored with exact bytes and refused
// when a reference is missing. Manifests and tags live in memory. Not the satellite's real store.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  DigestMismatchError,
  SizeMismatchError,
  digestOf,
  isDigest,
  parseDigest,
  parseManifest,
  referencedDescriptors,
} from "@harbor-satellite/oci";
import type {
  BlobInfo,
  BlobWriter,
  ByteRange,
  ContentStore,
  StoredManifest,
  TempFile,
} from "../../store/content-store.js";

export interface FakeContentStore extends ContentStore {
  /** Every manifest put, in order (to check bottom-up storing). */
  readonly puts: { repository: string; digest: string; tag?: string }[];
  /** Files left in ingest/ (must be empty after a pass). */
  ingestFiles(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function createFakeContentStore(root?: string): Promise<FakeContentStore> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), "fake-store-")));
  const ingest = join(dir, "ingest");
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await mkdir(ingest, { recursive: true });
  const manifests = new Map<string, Map<string, StoredManifest>>();
  const tags = new Map<string, Map<string, string>>();
  const puts: FakeContentStore["puts"] = [];
  const blobFile = (digest: string) => join(dir, "blobs", parseDigest(digest).algorithm, parseDigest(digest).hex);
  const tempPath = () => join(ingest, randomBytes(8).toString("hex"));

  const statBlob = async (digest: string): Promise<BlobInfo | undefined> => {
    try {
      return { digest, size: (await stat(blobFile(digest))).size };
    } catch {
      return undefined;
    }
  };
  const place = async (from: string, digest: string, size: number): Promise<BlobInfo> => {
    await mkdir(join(dir, "blobs", parseDigest(digest).algorithm), { recursive: true });
    await rename(from, blobFile(digest));
    return { digest, size };
  };

  const store: FakeContentStore = {
    root: dir,
    puts,
    statBlob,
    async recheckBlob(digest, size) {
      const info = await statBlob(digest);
      if (!info) return "missing";
      if (size === undefined || info.size === size) return "ok";
      await rm(blobFile(digest), { force: true });
      return "corrupt";
    },
    blobPath: async (digest) => ((await statBlob(digest)) ? blobFile(digest) : undefined),
    async openBlob(digest: string, range?: ByteRange): Promise<Readable> {
      return createReadStream(blobFile(digest), range ? { start: range.start, end: range.end } : {});
    },
    async createBlobWriter(): Promise<BlobWriter> {
      const path = tempPath();
      const handle: FileHandle = await open(path, "wx");
      const hash = createHash("sha256");
      let written = 0;
      let done = false;
      return {
        get written() {
          return written;
        },
        async write(chunk) {
          hash.update(chunk);
          written += chunk.length;
          await handle.write(chunk);
        },
        async commit(expected) {
          const actual = `sha256:${hash.digest("hex")}`;
          done = true;
          try {
            if (expected.size !== undefined && expected.size !== written)
              throw new SizeMismatchError(expected.size, written);
            if (actual !== expected.digest) throw new DigestMismatchError(expected.digest, actual);
            await handle.sync();
            await handle.close();
            return await place(path, expected.digest, written);
          } catch (error) {
            await handle.close().catch(() => {});
            await rm(path, { force: true });
            throw error;
          }
        },
        async abort() {
          if (!done) await handle.close().catch(() => {});
          done = true;
          await rm(path, { force: true });
        },
      };
    },
    async createTempFile(): Promise<TempFile> {
      // As the real store: a name only, the worker creates the file.
      const path = tempPath();
      return {
        path,
        commitVerified: (digest, size) => place(path, digest, size),
        abort: () => rm(path, { force: true }),
      };
    },
    async putManifest(repository, bytes, mediaType, tag) {
      const parsed = parseManifest(bytes, mediaType);
      const repoManifests = manifests.get(repository) ?? new Map<string, StoredManifest>();
      for (const ref of referencedDescriptors(parsed)) {
        const present =
          parsed.kind === "index" ? repoManifests.has(ref.digest) : (await statBlob(ref.digest)) !== undefined;
        if (!present)
          throw Object.assign(new Error(`MANIFEST_BLOB_UNKNOWN ${ref.digest}`), { code: "MANIFEST_BLOB_UNKNOWN" });
      }
      const digest = digestOf(bytes);
      repoManifests.set(digest, { digest, mediaType, bytes: Buffer.from(bytes) });
      manifests.set(repository, repoManifests);
      if (tag) {
        if (!tags.has(repository)) tags.set(repository, new Map());
        tags.get(repository)!.set(tag, digest);
      }
      puts.push({ repository, digest, tag });
      return digest;
    },
    async getManifest(repository, reference) {
      const digest = isDigest(reference) ? reference : tags.get(repository)?.get(reference);
      return digest ? manifests.get(repository)?.get(digest) : undefined;
    },
    async deleteManifest(repository, reference) {
      const repoTags = tags.get(repository);
      if (!isDigest(reference)) return repoTags?.delete(reference) ?? false;
      for (const [t, d] of repoTags ?? []) if (d === reference) repoTags!.delete(t);
      return manifests.get(repository)?.delete(reference) ?? false;
    },
    listTags: async (repository) => [...(tags.get(repository)?.keys() ?? [])].sort(),
    listRepositories: async () => [...manifests.keys()].filter((r) => manifests.get(r)!.size > 0).sort(),
    collectGarbage: async () => ({ removedBlobs: 0, freedBytes: 0 }),
    async usage() {
      const files = await readdir(join(dir, "blobs", "sha256"));
      let bytes = 0;
      for (const f of files) bytes += (await stat(join(dir, "blobs", "sha256", f))).size;
      return { bytes, blobs: files.length };
    },
    ingestFiles: () => readdir(ingest),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return store;
}
