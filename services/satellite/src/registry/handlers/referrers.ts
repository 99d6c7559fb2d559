// `GET /v2/<name>/referrers/<digest>?artifactType=` (end-12a, end-12b): an image index listing
// the manifests in <name> whose subject is <digest>. Never 404 for a valid request: a client
// reads 404 as "no referrers API" and falls back to the tag schema. Cosign's `.sig`/`.att`/`.sbom`
// tags for the digest are listed too (tag-schema-referrers.ts), after the subject's referrers.
import { MediaType } from "@harbor-satellite/oci";
import type { Handler } from "../context.js";
import { API_VERSION_HEADER } from "../http.js";
import { tagSchemaReferrers } from "../tag-schema-referrers.js";

export const getReferrers: Handler = async ({ res, params, query, deps }) => {
  const artifactType = query().get("artifactType") || undefined;
  const manifests = deps.store.referrers(params.name, params.reference, artifactType);
  const listed = new Set(manifests.map((d) => d.digest));
  for (const tagged of await tagSchemaReferrers(deps.store, params.name, params.reference, artifactType))
    if (!listed.has(tagged.digest)) manifests.push(tagged);
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  res.writeHead(200, {
    ...API_VERSION_HEADER,
    "Content-Type": MediaType.OciIndex,
    "Content-Length": body.length,
    ...(artifactType === undefined ? {} : { "OCI-Filters-Applied": "artifactType" }),
  });
  res.end(body);
};
