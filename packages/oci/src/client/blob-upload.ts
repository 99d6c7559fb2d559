// Blob push: HEAD (skip what the registry has), then POST an upload session (trying a
// cross-repository mount first when a source repository is named) and a monolithic PUT streamed
// from a buffer or a file. The upload Location may be relative and may carry query parameters
// the registry needs back; `digest` is added to them.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { digestOf, parseDigest } from "../digest.js";
import { discard, header } from "./http-transport.js";
import { RegistryError, redactUrl } from "./registry-error.js";
import type { RegistrySession } from "./registry-session.js";
import { repositoryScope } from "./token-auth.js";

/** Blob bytes in memory, or a file to stream from. */
export type BlobContent = Uint8Array | { file: string };

export interface PushBlobOptions {
  /** The content's digest when the caller knows it; computed otherwise (a file is read once more). */
  digest?: string;
  /** A repository on the same registry that may already hold the blob (cross-repository mount). */
  mountFrom?: string;
  /** HEAD first and skip the upload when the blob exists (default true). */
  skipExisting?: boolean;
  /**
   * With `mountFrom`: try the mount and nothing else. When the registry cannot mount (it answers
   * 202 with an upload session) the session is cancelled and the outcome is `not-mounted`, so the
   * caller can fetch the bytes only then; `content` is not read (an empty buffer will do).
   */
  mountOnly?: boolean;
  signal?: AbortSignal;
}

export interface PushedBlob {
  digest: string;
  size: number;
  outcome: "uploaded" | "mounted" | "existed" | "not-mounted";
}

export async function pushBlob(
  session: RegistrySession,
  repository: string,
  content: BlobContent,
  options: PushBlobOptions = {},
): Promise<PushedBlob> {
  if (options.mountOnly && (!options.digest || !options.mountFrom))
    throw new TypeError("mountOnly needs the blob's digest and mountFrom");
  const { digest, size } = await describe(content, options.digest);
  const push = [repositoryScope(repository, ["pull", "push"])];
  const signal = options.signal;
  if (options.skipExisting !== false) {
    const head = await session.send({
      method: "HEAD",
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: push,
      expect: [200, 404],
      followRedirects: true,
      signal,
    });
    discard(head.body);
    if (head.status === 200) return { digest, size, outcome: "existed" };
  }
  const mount = options.mountFrom && options.mountFrom !== repository ? options.mountFrom : undefined;
  const query = mount ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mount)}` : "";
  const scopes = mount ? [...push, repositoryScope(mount, ["pull"])] : push;
  const started = await session.send({
    method: "POST",
    target: `/v2/${repository}/blobs/uploads/${query}`,
    scopes,
    expect: [201, 202],
    signal,
  });
  discard(started.body);
  if (started.status === 201) return { digest, size, outcome: "mounted" };
  const location = header(started.headers, "location");
  if (!location) throw new RegistryError(202, "", "upload started without a Location", redactUrl(started.url), "POST");
  const target = new URL(location, started.url);
  if (options.mountOnly) {
    await cancelUpload(session, target, scopes, signal);
    return { digest, size, outcome: "not-mounted" };
  }
  target.searchParams.set("digest", digest);
  const body =
    content instanceof Uint8Array
      ? Buffer.from(content.buffer, content.byteOffset, content.byteLength)
      : () => createReadStream(content.file, { highWaterMark: 1 << 20 });
  const put = await session.send({
    method: "PUT",
    target,
    headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    body,
    scopes,
    expect: [201],
    signal,
  });
  discard(put.body);
  const stored = header(put.headers, "docker-content-digest");
  if (stored && stored !== digest)
    throw new RegistryError(
      201,
      "DIGEST_INVALID",
      `registry stored ${stored}, expected ${digest}`,
      redactUrl(target),
      "PUT",
    );
  return { digest, size, outcome: "uploaded" };
}

/** Ends an upload session nobody will finish; a registry that refuses just lets it expire. */
async function cancelUpload(
  session: RegistrySession,
  target: URL,
  scopes: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const res = await session
    .send({ method: "DELETE", target, scopes, expect: [204, 404, 405], signal })
    .catch(() => undefined);
  if (res) discard(res.body);
}

async function describe(content: BlobContent, known?: string): Promise<{ digest: string; size: number }> {
  if (known !== undefined) parseDigest(known);
  if (content instanceof Uint8Array) return { digest: known ?? digestOf(content), size: content.byteLength };
  const { size } = await stat(content.file);
  if (known) return { digest: known, size };
  const hash = createHash("sha256");
  await pipeline(
    createReadStream(content.file, { highWaterMark: 1 << 20 }),
    new Writable({ write: (chunk: Buffer, _e, cb) => (hash.update(chunk), cb()) }),
  );
  return { digest: `sha256:${hash.digest("hex")}`, size };
}
