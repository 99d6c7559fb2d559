// `GET /v2/<name>/referrers/<digest>?artifactType=` (end-12a, end-12b): an image index listing
// the manifests in <name> whose subject is <digest>. Never 404 for a valid request: a client
// reads 404 as "no referrers API" and falls back to the tag schema.
import { MediaType } from "@harbor-satellite/oci";
import type { Handler } from "../context.js";
import { API_VERSION_HEADER } from "../http.js";

export const getReferrers: Handler = ({ res, params, query, deps }) => {
  const artifactType = query().get("artifactType") || undefined;
  const manifests = deps.store.referrers(params.name, params.reference, artifactType);
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  res.writeHead(200, {
    ...API_VERSION_HEADER,
    "Content-Type": MediaType.OciIndex,
    "Content-Length": body.length,
    ...(artifactType === undefined ? {} : { "OCI-Filters-Applied": "artifactType" }),
  });
  res.end(body);
};
