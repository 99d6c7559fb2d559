// A bring-your-own registry as the replication target (app_config.bring_own_registry): images go
// into it over the OCI distribution API with the settings of app_config.local_registry, read
// again at each use so a changed url or password applies on the next request.
//   - A blob is HEADed in its repository first; one another repository of the target holds is
//     mounted (POST ?mount=&from=); only when the registry cannot mount are its bytes fetched.
//   - Bytes are pushed exactly as fetched: small blobs from the verified in-memory writer, layers
//     from the temp file the layer copy filled and verified (streamed, never in memory);
//     manifests with their exact bytes and media type, so every digest is the upstream's.
//   - Basic or token auth as the registry asks (the registry client's).
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import {
  ContentDigestError,
  DigestMismatchError,
  RegistryError,
  SizeMismatchError,
  createRegistryClient,
  digestOf,
  parseDigest,
  redactUrl,
  type RegistryClient,
  type RetryOptions,
} from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { BlobWriter, ContentStore, TempFile } from "../store/content-store.js";
import { TargetUnavailableError, type ReplicationTarget } from "./replication-target.js";

export interface RegistryTargetSettings {
  url: string;
  username: string;
  password: string;
  /** PEM file of extra CAs for an https:// url ("" for none). */
  ca_file: string;
  skip_verify: boolean;
}

export interface RegistryTargetOptions {
  /** The current settings (the config's app_config.local_registry). */
  settings: () => RegistryTargetSettings;
  /** Where layer temp files live while a worker fills them (the satellite's store, ingest/). */
  scratch: Pick<ContentStore, "createTempFile">;
  logger: Logger;
  retry?: RetryOptions;
}

/** Small blobs are held in memory while written; a bigger one means the copier's split changed. */
const MAX_INLINE_BYTES = 16 << 20;
const MAX_REMEMBERED = 10_000;
const EMPTY_BLOB = `sha256:${createHash("sha256").digest("hex")}`;

export function createRegistryTarget(options: RegistryTargetOptions): ReplicationTarget & { close(): void } {
  const { logger } = options;
  let current: { key: string; client: RegistryClient } | undefined;
  /** A repository of the target known to hold each digest, for mounts. */
  const holders = new Map<string, string>();
  const remember = (digest: string, repository: string) => {
    if (holders.size >= MAX_REMEMBERED) holders.clear();
    holders.set(digest, repository);
  };

  const client = async (): Promise<RegistryClient> => {
    const s = options.settings();
    const key = JSON.stringify([s.url, s.username, s.password, s.ca_file, s.skip_verify]);
    if (current?.key === key) return current.client;
    current?.client.close();
    holders.clear();
    const ca = s.ca_file ? await readFile(s.ca_file, "utf8") : undefined;
    const created = createRegistryClient({
      url: s.url,
      credentials: s.username ? { username: s.username, password: s.password } : undefined,
      retry: options.retry,
      tls: { ca, insecureSkipVerify: s.skip_verify },
    });
    current = { key, client: created };
    return created;
  };
  const description = () => `bring-your-own registry ${redactUrl(options.settings().url).replace(/\/$/, "")}`;

  const getManifest: ReplicationTarget["getManifest"] = async (repository, reference, signal) => {
    try {
      const m = await (await client()).getManifest(repository, reference, { signal });
      return { digest: m.digest, mediaType: m.mediaType, bytes: m.bytes };
    } catch (error) {
      // Absent, or bytes that do not hash to their digest: either way it is pushed again.
      if (error instanceof RegistryError && error.status === 404) return undefined;
      if (error instanceof ContentDigestError) return undefined;
      throw error;
    }
  };

  const push = async (repository: string, content: Buffer | { file: string }, digest: string, signal?: AbortSignal) => {
    await (await client()).pushBlob(repository, content, { digest, skipExisting: false, signal });
    remember(digest, repository);
  };

  return {
    get description() {
      return description();
    },
    perRepository: true,

    async ready(repository, signal) {
      try {
        // Reaches the registry, authenticates for this repository, and costs one small request.
        await (await client()).headBlob(repository, EMPTY_BLOB, signal);
      } catch (error) {
        throw new TargetUnavailableError(description(), error);
      }
    },

    async tagDigest(repository, tag, signal) {
      const head = await (await client()).headManifest(repository, tag, { signal });
      if (!head) return undefined;
      // A registry that sends no Docker-Content-Digest: the digest of the bytes it serves.
      return head.digest ?? (await getManifest(repository, tag, signal))?.digest;
    },

    getManifest,

    async putManifest(repository, bytes, mediaType, tag, signal) {
      return (await client()).pushManifest(repository, tag ?? digestOf(bytes), bytes, mediaType, signal);
    },

    async untag(repository, tag, signal) {
      try {
        return await (await client()).deleteManifest(repository, tag, signal);
      } catch (error) {
        // Many registries cannot delete a tag alone (docker-registry: only by digest, and only with
        // deletion enabled); deleting the manifest could take other tags with it, so it stays.
        if (error instanceof RegistryError && [400, 405].includes(error.status)) {
          logger.warn(
            { target: description(), image: `${repository}:${tag}`, status: error.status, code: error.code },
            "the bring-your-own registry cannot remove a tag; the image no longer desired stays there",
          );
          return false;
        }
        throw error;
      }
    },

    async blobPresence(repository, blob, _recheck, signal) {
      // Every check is a request to the registry: nothing here is cached, so recheck changes nothing.
      const c = await client();
      const head = await c.headBlob(repository, blob.digest, signal);
      if (head && (head.size < 0 || head.size === blob.size)) {
        remember(blob.digest, repository);
        return "present";
      }
      const from = holders.get(blob.digest);
      if (!from || from === repository) return "absent";
      const mounted = await c.pushBlob(repository, Buffer.alloc(0), {
        digest: blob.digest,
        mountFrom: from,
        mountOnly: true,
        skipExisting: false,
        signal,
      });
      if (mounted.outcome !== "mounted") return "absent";
      remember(blob.digest, repository);
      return "mounted";
    },

    async recheckBlob(digest, size, repository) {
      const head = await (await client()).headBlob(repository, digest);
      if (!head) return "missing";
      return size === undefined || head.size < 0 || head.size === size ? "ok" : "corrupt";
    },

    async recheckManifest(repository, digest, size) {
      const head = await (await client()).headManifest(repository, digest);
      if (!head) return "missing";
      return size === undefined || head.size < 0 || head.size === size ? "ok" : "corrupt";
    },

    createBlobWriter: async (repository) => memoryWriter((bytes, digest) => push(repository, bytes, digest)),

    async createTempFile(repository) {
      const scratch = await options.scratch.createTempFile();
      return uploadingTempFile(scratch, (file, digest) => push(repository, { file }, digest));
    },

    close() {
      current?.client.close();
      current = undefined;
    },
  };
}

/** Collects a small blob, and pushes it once its digest and size are verified. */
function memoryWriter(push: (bytes: Buffer, digest: string) => Promise<void>): BlobWriter {
  const chunks: Buffer[] = [];
  const hash = createHash("sha256");
  let written = 0;
  return {
    get written() {
      return written;
    },
    async write(chunk) {
      if (written + chunk.length > MAX_INLINE_BYTES)
        throw new SizeMismatchError(MAX_INLINE_BYTES, written + chunk.length);
      const copy = Buffer.from(chunk);
      chunks.push(copy);
      hash.update(copy);
      written += copy.length;
    },
    async commit(expected) {
      const algorithm = parseDigest(expected.digest).algorithm;
      const bytes = Buffer.concat(chunks);
      if (expected.size !== undefined && expected.size !== written) throw new SizeMismatchError(expected.size, written);
      const actual = algorithm === "sha256" ? `sha256:${hash.digest("hex")}` : digestOf(bytes, algorithm);
      if (actual !== expected.digest) throw new DigestMismatchError(expected.digest, actual);
      await push(bytes, expected.digest);
      chunks.length = 0;
      return { digest: expected.digest, size: written };
    },
    async abort() {
      chunks.length = 0;
    },
  };
}

/** A worker's verified temp file, streamed to the registry and then removed. */
function uploadingTempFile(scratch: TempFile, push: (file: string, digest: string) => Promise<void>): TempFile {
  return {
    path: scratch.path,
    async commitVerified(digest, size) {
      try {
        const actual = (await stat(scratch.path)).size;
        if (actual !== size) throw new SizeMismatchError(size, actual);
        await push(scratch.path, digest);
        return { digest, size };
      } finally {
        await scratch.abort();
      }
    },
    abort: () => scratch.abort(),
  };
}
