// `/v2/<name>/blobs/<digest>`: GET and HEAD with Range (end-2), DELETE (end-10). A GET sends
// the stored file as it is (file-sender.ts): it was verified when written, and serving never
// re-hashes.
import { open } from "node:fs/promises";
import { OciError } from "@harbor-satellite/oci";
import type { Handler } from "../context.js";
import { sendFileRange } from "../file-sender.js";
import { API_VERSION_HEADER, sendEmpty } from "../http.js";
import { parseRange } from "../range.js";

export const getBlob: Handler = async ({ req, res, params, deps }) => {
  const digest = params.reference;
  const info = await deps.store.statRepositoryBlob(params.name, digest);
  const path = info && (await deps.store.blobPath(digest));
  if (!info || !path) throw new OciError("BLOB_UNKNOWN", undefined, { digest });
  const common = {
    ...API_VERSION_HEADER,
    "Content-Type": "application/octet-stream",
    "Docker-Content-Digest": digest,
    ETag: `"${digest}"`,
    "Accept-Ranges": "bytes",
    "Cache-Control": "max-age=31536000",
  };
  const range = parseRange(req.headers.range, info.size);
  if (range.kind === "unsatisfiable") {
    res.writeHead(416, { ...API_VERSION_HEADER, "Content-Range": `bytes */${info.size}`, "Content-Length": 0 });
    res.end();
    return;
  }
  const start = range.kind === "partial" ? range.range.start : 0;
  const end = range.kind === "partial" ? range.range.end : info.size - 1;
  const length = end - start + 1;
  if (req.method === "HEAD" || length === 0) {
    res.writeHead(range.kind === "partial" ? 206 : 200, {
      ...common,
      "Content-Length": length,
      ...contentRange(range.kind, start, end, info.size),
    });
    res.end();
    return;
  }
  // Open before answering: a blob collected since the stat is still a clean 404.
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    throw new OciError("BLOB_UNKNOWN", undefined, { digest });
  }
  try {
    res.writeHead(range.kind === "partial" ? 206 : 200, {
      ...common,
      "Content-Length": length,
      ...contentRange(range.kind, start, end, info.size),
    });
    await sendFileRange(res, handle, start, end);
  } finally {
    await handle.close();
  }
};

export const deleteBlob: Handler = async ({ res, params, deps }) => {
  const outcome = await deps.store.unlinkBlob(params.name, params.reference);
  if (outcome === "unknown") throw new OciError("BLOB_UNKNOWN", undefined, { digest: params.reference });
  if (outcome === "referenced") {
    // Deleting it would break the manifests that need it; delete them first.
    throw new OciError("UNSUPPORTED", "blob is referenced by manifests in this repository", {
      digest: params.reference,
    });
  }
  sendEmpty(res, 202);
};

function contentRange(kind: "full" | "partial", start: number, end: number, size: number): Record<string, string> {
  return kind === "partial" ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {};
}
