// `/v2/<name>/manifests/<reference>`: GET and HEAD (end-3), PUT (end-7a, end-7b with `?tag=`),
// DELETE (end-9). Bytes are served exactly as pushed, with the digest and Content-Type they were
// pushed with; GET by tag is a map lookup plus cached bytes.
import { MAX_MANIFEST_BYTES, OciError, digestOf, isDigest, parseDigest } from "@harbor-satellite/oci";
import type { Handler, RequestContext } from "../context.js";
import { API_VERSION_HEADER, readBody, sendEmpty } from "../http.js";

export const getManifest: Handler = async ({ req, res, params, deps }) => {
  const manifest = await deps.store.getManifest(params.name, params.reference);
  if (!manifest) throw new OciError("MANIFEST_UNKNOWN", undefined, { name: params.name, reference: params.reference });
  await deps.manifestGate?.(params.name, params.reference, manifest);
  res.writeHead(200, {
    ...API_VERSION_HEADER,
    "Content-Type": manifest.mediaType,
    "Content-Length": manifest.bytes.length,
    "Docker-Content-Digest": manifest.digest,
    ETag: `"${manifest.digest}"`,
  });
  if (req.method === "HEAD") return void res.end();
  res.end(manifest.bytes);
  deps.onManifestPulled?.(params.name, manifest.digest);
};

export const putManifest: Handler = async (ctx) => {
  const { req, res, params, deps } = ctx;
  const byDigest = isDigest(params.reference);
  const bytes = await readBody(req, MAX_MANIFEST_BYTES);
  if (byDigest) {
    const actual = digestOf(bytes, parseDigest(params.reference).algorithm);
    if (actual !== params.reference)
      throw new OciError("DIGEST_INVALID", undefined, { expected: params.reference, actual });
  }
  const tags = byDigest ? extraTags(ctx) : [params.reference];
  const contentType = req.headers["content-type"]?.split(";")[0].trim() ?? "";
  const stored = await deps.store.storeManifest(params.name, bytes, contentType, {
    tags,
    algorithm: byDigest ? parseDigest(params.reference).algorithm : undefined,
  });
  sendEmpty(res, 201, {
    Location: `/v2/${params.name}/manifests/${stored.digest}`,
    "Docker-Content-Digest": stored.digest,
    ...(stored.subject ? { "OCI-Subject": stored.subject } : {}),
    ...(byDigest && tags.length > 0 ? { "OCI-Tag": tags.join(", ") } : {}),
  });
};

export const deleteManifest: Handler = async ({ res, params, deps }) => {
  if (!deps.store.hasRepository(params.name)) throw new OciError("NAME_UNKNOWN", undefined, { name: params.name });
  const deleted = await deps.store.deleteManifest(params.name, params.reference);
  if (!deleted) throw new OciError("MANIFEST_UNKNOWN", undefined, { name: params.name, reference: params.reference });
  sendEmpty(res, 202);
};

/** `?tag=a&tag=b` on a push by digest (end-7b): more tags for the same manifest. */
function extraTags({ query }: RequestContext): string[] {
  return [...new Set(query().getAll("tag"))];
}
