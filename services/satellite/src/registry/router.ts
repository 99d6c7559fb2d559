// Matches a request path against the route table and validates what it captured: the
// repository name against the spec grammar (so `..` or `%2e` never reaches the store) and the
// reference by the route's kind.
import { OciError, isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";
import type { RouteParams } from "./context.js";
import { ROUTES, type Route } from "./routes.js";

export interface Match {
  route: Route;
  params: RouteParams;
}

/** The matching route, undefined when none; throws OciError for a bad name or reference. */
export function matchRoute(path: string, method: string): Match | undefined {
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const name = m[1] ?? "";
    if (m[1] !== undefined && !isRepositoryName(name)) throw new OciError("NAME_INVALID", undefined, { name });
    const reference = m[2] === undefined ? "" : safeDecode(m[2]);
    checkReference(route, reference, method);
    return { route, params: { name, reference } };
  }
  return undefined;
}

function checkReference(route: Route, reference: string, method: string): void {
  switch (route.reference) {
    case "none":
    case "upload-id":
      return;
    case "digest":
      if (!isDigest(reference)) throw new OciError("DIGEST_INVALID", undefined, { digest: reference });
      return;
    case "tag-or-digest":
      if (isDigest(reference) || isTag(reference)) return;
      if (reference.includes(":")) throw new OciError("DIGEST_INVALID", undefined, { digest: reference });
      // A malformed tag names nothing that can exist; a push of one is a bad tag.
      throw method === "PUT"
        ? new OciError("TAG_INVALID", undefined, { tag: reference })
        : new OciError("MANIFEST_UNKNOWN", undefined, { reference });
  }
}

/** Clients may percent-encode the digest's colon. */
function safeDecode(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
