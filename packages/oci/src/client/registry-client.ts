// A client for one OCI distribution registry (Harbor, docker-registry, zot, the satellite): the
// calls the replication engine and Ground Control make. Authentication, retries and keep-alive
// pooling live in the session; this file maps each call to its endpoint and checks what comes back.
import type { Readable } from "node:stream";
import { digestOf, parseDigest, isDigest } from "../digest.js";
import { MAX_MANIFEST_BYTES, type Descriptor } from "../manifest.js";
import { MANIFEST_ACCEPT } from "../media-types.js";
import { downloadBlob, type BlobDownloadOptions } from "./blob-download.js";
import { pushBlob, type BlobContent, type PushBlobOptions, type PushedBlob } from "./blob-upload.js";
import { discard, header, readBody } from "./http-transport.js";
import { ContentDigestError, RegistryError, redactUrl } from "./registry-error.js";
import { createRegistrySession, type SessionOptions } from "./registry-session.js";
import { repositoryScope, type AuthSnapshot } from "./token-auth.js";

export type RegistryClientOptions = SessionOptions;

export interface Manifest {
  /** The exact bytes served; their digest is `digest`. */
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface ManifestHead {
  /** From Docker-Content-Digest; undefined when the registry did not send it. */
  digest?: string;
  mediaType: string;
  size: number;
}

export interface GetManifestOptions {
  /** Accept list (default: OCI and Docker manifests and indexes). */
  accept?: readonly string[];
  signal?: AbortSignal;
}

export interface RegistryClient {
  /** The registry base URL. */
  readonly url: string;
  /** Requests sent so far (token requests and retries included). */
  readonly requestCount: number;
  /** Manifest by tag or digest; by digest the bytes are verified against it. Throws RegistryError (404 MANIFEST_UNKNOWN…). */
  getManifest(repository: string, reference: string, options?: GetManifestOptions): Promise<Manifest>;
  /** HEAD of a manifest; undefined when it does not exist. */
  headManifest(repository: string, reference: string, options?: GetManifestOptions): Promise<ManifestHead | undefined>;
  /** HEAD of a blob; undefined when it does not exist. */
  headBlob(repository: string, digest: string, signal?: AbortSignal): Promise<{ size: number } | undefined>;
  /** A blob as a stream, resumed with Range after a broken connection and verified by default. */
  getBlob(repository: string, digest: string, options?: BlobDownloadOptions): Readable;
  /** A small blob (config, state artifact layer) read into memory and verified. */
  getBlobBytes(
    repository: string,
    digest: string,
    options?: { maxBytes?: number; signal?: AbortSignal },
  ): Promise<Buffer>;
  /** Pushes a blob from memory or a file (HEAD first, then POST + monolithic PUT, or a mount). */
  pushBlob(repository: string, content: BlobContent, options?: PushBlobOptions): Promise<PushedBlob>;
  /** Pushes manifest bytes under a tag or a digest; returns the manifest's digest. */
  pushManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Deletes a manifest by digest (or a tag where the registry allows it); false when absent. */
  deleteManifest(repository: string, reference: string, signal?: AbortSignal): Promise<boolean>;
  /** All tags of a repository, following `Link` pagination; [] when the repository is unknown. */
  listTags(repository: string, options?: { pageSize?: number; signal?: AbortSignal }): Promise<string[]>;
  /**
   * The manifests whose `subject` is `digest` (`GET /v2/<name>/referrers/<digest>`, OCI
   * distribution 1.1), following `Link` pages; undefined when the registry has no referrers API
   * (404), so the caller falls back to the tag schema.
   */
  listReferrers(
    repository: string,
    digest: string,
    options?: { signal?: AbortSignal },
  ): Promise<Descriptor[] | undefined>;
  /** Absolute URL of a blob, for a download handed to another thread. */
  blobUrl(repository: string, digest: string): string;
  /**
   * The Authorization header this client would send to pull (or push) `repository`, fetching a
   * token when needed, for a request made by another thread. `refresh` forgets a refused token.
   * A secret: never log it.
   */
  authorizationFor(
    repository: string,
    actions?: readonly string[],
    options?: { refresh?: boolean; signal?: AbortSignal },
  ): Promise<string | undefined>;
  /** What authentication learned (scheme, cached tokens), to seed another client for the same registry. */
  authSnapshot(): AuthSnapshot;
  /** Closes pooled connections. */
  close(): void;
}

/** Creates a client; `url` is the registry root (scheme decides http or https). */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const session = createRegistrySession(options);
  const pull = (repository: string) => [repositoryScope(repository, ["pull"])];
  const manifestPath = (repository: string, reference: string) => {
    if (!isDigest(reference) && !/^[\w][\w.-]{0,127}$/.test(reference))
      throw new TypeError(`invalid manifest reference ${JSON.stringify(reference)}`);
    return `/v2/${repository}/manifests/${reference}`;
  };
  const acceptOf = (options?: GetManifestOptions) => (options?.accept ?? MANIFEST_ACCEPT).join(", ");

  return {
    url: session.baseUrl.toString().replace(/\/$/, ""),
    get requestCount() {
      return session.requestCount;
    },

    async getManifest(repository, reference, options) {
      const res = await session.send({
        method: "GET",
        target: manifestPath(repository, reference),
        headers: { accept: acceptOf(options) },
        scopes: pull(repository),
        expect: [200],
        signal: options?.signal,
      });
      const bytes = await readBody(res.body, MAX_MANIFEST_BYTES);
      const url = redactUrl(res.url);
      const served = header(res.headers, "docker-content-digest");
      const expected = isDigest(reference) ? reference : served && isDigest(served) ? served : undefined;
      const algorithm = expected ? parseDigest(expected).algorithm : "sha256";
      const actual = digestOf(bytes, algorithm);
      if (expected && actual !== expected) throw new ContentDigestError(url, expected, actual);
      return { bytes, mediaType: mediaTypeOf(header(res.headers, "content-type"), bytes), digest: actual };
    },

    async headManifest(repository, reference, options) {
      const res = await session.send({
        method: "HEAD",
        target: manifestPath(repository, reference),
        headers: { accept: acceptOf(options) },
        scopes: pull(repository),
        expect: [200, 404],
        signal: options?.signal,
      });
      discard(res.body);
      if (res.status === 404) return undefined;
      const digest = header(res.headers, "docker-content-digest");
      return {
        digest: digest && isDigest(digest) ? digest : undefined,
        mediaType: (header(res.headers, "content-type") ?? "").split(";")[0].trim(),
        size: Number(header(res.headers, "content-length") ?? -1),
      };
    },

    async headBlob(repository, digest, signal) {
      parseDigest(digest);
      const res = await session.send({
        method: "HEAD",
        target: `/v2/${repository}/blobs/${digest}`,
        scopes: pull(repository),
        expect: [200, 404],
        followRedirects: true,
        signal,
      });
      discard(res.body);
      return res.status === 404 ? undefined : { size: Number(header(res.headers, "content-length") ?? -1) };
    },

    getBlob(repository, digest, options) {
      parseDigest(digest);
      return downloadBlob(session, repository, digest, options);
    },

    async getBlobBytes(repository, digest, options) {
      const maxBytes = options?.maxBytes ?? 16 * 1024 * 1024;
      return readBody(downloadBlob(session, repository, digest, { signal: options?.signal }), maxBytes);
    },

    pushBlob: (repository, content, options) => pushBlob(session, repository, content, options),

    async pushManifest(repository, reference, bytes, mediaType, signal) {
      const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const digest = isDigest(reference) ? digestOf(body, parseDigest(reference).algorithm) : digestOf(body);
      if (isDigest(reference) && digest !== reference)
        throw new ContentDigestError(manifestPath(repository, reference), reference, digest);
      const res = await session.send({
        method: "PUT",
        target: manifestPath(repository, reference),
        headers: { "content-type": mediaType },
        body,
        scopes: [repositoryScope(repository, ["pull", "push"])],
        expect: [201],
        signal,
      });
      discard(res.body);
      const stored = header(res.headers, "docker-content-digest");
      if (
        stored &&
        isDigest(stored) &&
        parseDigest(stored).algorithm === parseDigest(digest).algorithm &&
        stored !== digest
      ) {
        throw new ContentDigestError(redactUrl(res.url), digest, stored);
      }
      return digest;
    },

    async deleteManifest(repository, reference, signal) {
      const res = await session.send({
        method: "DELETE",
        target: manifestPath(repository, reference),
        scopes: [repositoryScope(repository, ["delete"])],
        expect: [202, 404],
        signal,
      });
      discard(res.body);
      return res.status === 202;
    },

    async listTags(repository, options) {
      const tags: string[] = [];
      let target: string | URL = `/v2/${repository}/tags/list${options?.pageSize ? `?n=${options.pageSize}` : ""}`;
      for (let page = 0; page < 10_000; page++) {
        const res = await session.send({
          method: "GET",
          target,
          scopes: pull(repository),
          expect: [200, 404],
          signal: options?.signal,
        });
        const body = await readBody(res.body, 16 * 1024 * 1024);
        if (res.status === 404) return [];
        const parsed = JSON.parse(body.toString("utf8")) as { tags?: unknown };
        if (Array.isArray(parsed.tags)) tags.push(...parsed.tags.filter((t): t is string => typeof t === "string"));
        const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res.headers, "link") ?? "")?.[1];
        if (!next) return tags;
        target = new URL(next, res.url);
      }
      throw new RegistryError(200, "", "tag list pagination did not end", redactUrl(session.baseUrl), "GET");
    },

    async listReferrers(repository, digest, options) {
      parseDigest(digest);
      const found: Descriptor[] = [];
      let target: string | URL = `/v2/${repository}/referrers/${digest}`;
      for (let page = 0; page < 1_000; page++) {
        const res = await session.send({
          method: "GET",
          target,
          headers: { accept: "application/vnd.oci.image.index.v1+json" },
          scopes: pull(repository),
          expect: [200, 404],
          signal: options?.signal,
        });
        const body = await readBody(res.body, MAX_MANIFEST_BYTES);
        if (res.status === 404) return page === 0 ? undefined : found;
        const parsed = JSON.parse(body.toString("utf8")) as { manifests?: unknown };
        if (Array.isArray(parsed.manifests)) found.push(...parsed.manifests.filter(isReferrerDescriptor));
        const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res.headers, "link") ?? "")?.[1];
        if (!next) return found;
        target = new URL(next, res.url);
      }
      throw new RegistryError(200, "", "referrers pagination did not end", redactUrl(session.baseUrl), "GET");
    },

    blobUrl(repository, digest) {
      parseDigest(digest);
      return `${session.baseUrl.origin}${session.baseUrl.pathname.replace(/\/$/, "")}/v2/${repository}/blobs/${digest}`;
    },
    authorizationFor: (repository, actions = ["pull"], options) =>
      session.authorization([repositoryScope(repository, actions)], options),
    authSnapshot: () => session.authSnapshot(),
    close: () => session.close(),
  };
}

/** A descriptor with the fields a referrer copy needs (a registry's odd entry is skipped, not trusted). */
function isReferrerDescriptor(value: unknown): value is Descriptor {
  const d = value as Partial<Descriptor> | null;
  return (
    typeof d === "object" &&
    d !== null &&
    typeof d.mediaType === "string" &&
    typeof d.digest === "string" &&
    isDigest(d.digest) &&
    typeof d.size === "number"
  );
}

/** The served Content-Type when it names a type, else the body's own `mediaType`. */
function mediaTypeOf(contentType: string | undefined, bytes: Buffer): string {
  const fromHeader = contentType?.split(";")[0].trim();
  if (
    fromHeader &&
    fromHeader !== "application/json" &&
    fromHeader !== "text/plain" &&
    fromHeader !== "application/octet-stream"
  )
    return fromHeader;
  try {
    const body = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown; manifests?: unknown };
    if (typeof body.mediaType === "string") return body.mediaType;
    return Array.isArray(body.manifests)
      ? "application/vnd.oci.image.index.v1+json"
      : "application/vnd.oci.image.manifest.v1+json";
  } catch {
    return fromHeader ?? "application/octet-stream";
  }
}
