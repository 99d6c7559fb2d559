// Blob uploads. `POST /v2/<name>/blobs/uploads/` opens a session (end-4a), uploads in one
// request with `?digest=` (end-4b), picks the hash with `?digest-algorithm=` (end-4c), or mounts
// a blob from another repository with `?mount=&from=` (end-11). On the session URL: PATCH a
// chunk (end-5), PUT to finish (end-6), GET its status (end-13), DELETE to cancel (end-14).
// Bytes stream straight into the store's writer, hashed as they are written; a chunk that
// fails half-way is taken back, so the session stays usable and the store unchanged.
import {
  DigestMismatchError,
  OciError,
  SizeMismatchError,
  isDigest,
  isRepositoryName,
  parseDigest,
  type DigestAlgorithm,
} from "@harbor-satellite/oci";
import { sourceKey } from "@harbor-satellite/serving";
import type { Handler, RequestContext } from "../context.js";
import { contentLength, hasBody, parseUploadRange, pipeBody, sendEmpty, uploadRangeHeader } from "../http.js";
import type { UploadSession } from "../upload-sessions.js";

export const startUpload: Handler = async (ctx) => {
  const query = ctx.query();
  const mount = query.get("mount");
  if (mount !== null && (await tryMount(ctx, mount, query.get("from")))) return;
  const digest = query.get("digest");
  if (digest !== null && !isDigest(digest)) throw new OciError("DIGEST_INVALID", undefined, { digest });
  const algorithm = digest !== null ? parseDigest(digest).algorithm : requestedAlgorithm(query.get("digest-algorithm"));
  // The slot is taken before the first await, so concurrent POSTs cannot overshoot the caps.
  const slot = ctx.deps.uploads.reserve(sourceKey(ctx.req.socket.remoteAddress));
  let writer;
  try {
    writer = await ctx.deps.store.createBlobWriter({ algorithm });
  } catch (error) {
    ctx.deps.uploads.release(slot);
    throw error;
  }
  const session = ctx.deps.uploads.open(slot, ctx.params.name, writer);
  // A single-POST upload needs the bytes in this request; without a body it is the plain
  // POST-then-PUT flow, which the spec asks registries to fall back to (202).
  if (digest !== null && hasBody(ctx.req)) {
    try {
      await finish(ctx, session, digest);
    } catch (error) {
      // The client never learned this session's URL: nothing can resume it.
      await ctx.deps.uploads.cancel(session.id);
      throw error;
    }
    return;
  }
  sendEmpty(ctx.res, 202, sessionHeaders(ctx, session));
};

export const getUploadStatus: Handler = (ctx) => {
  const session = requireSession(ctx);
  sendEmpty(ctx.res, 204, sessionHeaders(ctx, session));
};

export const patchUpload: Handler = async (ctx) => {
  const session = requireSession(ctx);
  await withSession(session, async () => {
    await appendChunk(ctx, session);
    session.offset = session.writer.written;
    sendEmpty(ctx.res, 202, sessionHeaders(ctx, session));
  });
};

export const putUpload: Handler = async (ctx) => {
  const session = requireSession(ctx);
  const digest = ctx.query().get("digest");
  if (digest === null || !isDigest(digest))
    throw new OciError("DIGEST_INVALID", "the closing PUT needs ?digest=<digest>", { digest });
  await withSession(session, () => finish(ctx, session, digest));
};

export const cancelUpload: Handler = async (ctx) => {
  const session = requireSession(ctx);
  await ctx.deps.uploads.cancel(session.id);
  sendEmpty(ctx.res, 204);
};

/** Links the blob into <name> when `from` (or, with no `from`, the store) has it. */
async function tryMount(ctx: RequestContext, mount: string, from: string | null): Promise<boolean> {
  if (!isDigest(mount)) throw new OciError("DIGEST_INVALID", undefined, { digest: mount });
  if (from !== null && !isRepositoryName(from)) throw new OciError("NAME_INVALID", undefined, { name: from });
  const { store } = ctx.deps;
  const present = from === null ? await store.statBlob(mount) : await store.statRepositoryBlob(from, mount);
  if (!present) return false;
  await store.linkBlob(ctx.params.name, mount);
  sendEmpty(ctx.res, 201, { Location: blobLocation(ctx, mount), "Docker-Content-Digest": mount });
  return true;
}

/** Writes the request's body (if any) and commits the blob under `digest`. */
async function finish(ctx: RequestContext, session: UploadSession, digest: string): Promise<void> {
  const { uploads, store } = ctx.deps;
  if (hasBody(ctx.req)) await appendChunk(ctx, session);
  uploads.forget(session.id);
  try {
    await session.writer.commit({ digest });
  } catch (error) {
    // commit has already dropped the temp file; the session is over either way.
    if (error instanceof DigestMismatchError)
      throw new OciError("DIGEST_INVALID", undefined, { expected: error.expected, actual: error.actual });
    if (error instanceof SizeMismatchError)
      throw new OciError("SIZE_INVALID", undefined, { expected: error.expected, actual: error.actual });
    throw error;
  }
  await store.linkBlob(ctx.params.name, digest);
  sendEmpty(ctx.res, 201, { Location: blobLocation(ctx, digest), "Docker-Content-Digest": digest });
}

/** Appends the body as the next chunk, checking Content-Range and Content-Length first. */
async function appendChunk(ctx: RequestContext, session: UploadSession): Promise<void> {
  const { req } = ctx;
  const range = parseUploadRange(req.headers["content-range"]);
  const length = contentLength(req);
  if (range) {
    if (range.start !== session.writer.written) {
      throw new OciError("RANGE_INVALID", `chunk must start at ${session.writer.written}`, {
        expected: session.writer.written,
        got: range.start,
      });
    }
    if (length !== undefined && length !== range.end - range.start + 1) {
      throw new OciError("SIZE_INVALID", "Content-Length does not match Content-Range", {
        contentLength: length,
        range,
      });
    }
  }
  const checkpoint = await session.writer.checkpoint();
  try {
    const written = await pipeBody(req, session.writer);
    if (range && written !== range.end - range.start + 1)
      throw new OciError("SIZE_INVALID", "chunk shorter than its Content-Range", { written, range });
  } catch (error) {
    await session.writer.rewind(checkpoint);
    throw error;
  }
}

/**
 * Runs the requests of one session one after another, in arrival order: a second PATCH waits
 * for the first (and is then checked against the offset it left), as does a client's retry
 * arriving while the server is still taking back a chunk whose connection died.
 */
async function withSession(session: UploadSession, fn: () => Promise<void>): Promise<void> {
  const previous = session.queue;
  let release!: () => void;
  session.queue = new Promise((resolve) => (release = resolve));
  session.active++;
  try {
    await previous;
    await fn();
  } finally {
    session.offset = session.writer.written;
    session.active--;
    session.lastActive = Date.now();
    release();
  }
}

function requireSession(ctx: RequestContext): UploadSession {
  const session = ctx.deps.uploads.get(ctx.params.name, ctx.params.reference);
  if (!session) throw new OciError("BLOB_UPLOAD_UNKNOWN", undefined, { uuid: ctx.params.reference });
  return session;
}

function requestedAlgorithm(value: string | null): DigestAlgorithm {
  if (value === null || value === "sha256") return "sha256";
  if (value === "sha512") return "sha512";
  throw new OciError("DIGEST_INVALID", `unsupported digest algorithm ${value}`, { algorithm: value });
}

function sessionHeaders(ctx: RequestContext, session: UploadSession): Record<string, string> {
  return {
    Location: `/v2/${ctx.params.name}/blobs/uploads/${session.id}`,
    Range: uploadRangeHeader(session.offset),
    "Docker-Upload-UUID": session.id,
  };
}

function blobLocation(ctx: RequestContext, digest: string): string {
  return `/v2/${ctx.params.name}/blobs/${digest}`;
}
