// The registry's routes as data, one entry per route family (as distribution's v2/routes.go):
// a name, the path pattern, and a handler per method. Patterns are tried in order; `<name>` is
// greedy, so every pattern anchors on the fixed words after it.
import type { Handler } from "./context.js";
import { getBase } from "./handlers/base.js";
import { cancelUpload, getUploadStatus, patchUpload, putUpload, startUpload } from "./handlers/blob-uploads.js";
import { deleteBlob, getBlob } from "./handlers/blobs.js";
import { getCatalog } from "./handlers/catalog.js";
import { deleteManifest, getManifest, putManifest } from "./handlers/manifests.js";
import { getReferrers } from "./handlers/referrers.js";
import { getTags } from "./handlers/tags.js";

export type RouteName =
  "base" | "catalog" | "tags" | "manifest" | "blob-upload" | "blob-upload-chunk" | "blob" | "referrers";

/** What the route's second capture group is, which decides how it is validated. */
export type ReferenceKind = "none" | "tag-or-digest" | "digest" | "upload-id";

export interface Route {
  name: RouteName;
  /** Group 1 (when present) is the repository name, group 2 the reference. */
  pattern: RegExp;
  reference: ReferenceKind;
  methods: Partial<Record<string, Handler>>;
}

export const ROUTES: readonly Route[] = [
  { name: "base", pattern: /^\/v2\/?$/, reference: "none", methods: { GET: getBase, HEAD: getBase } },
  { name: "catalog", pattern: /^\/v2\/_catalog$/, reference: "none", methods: { GET: getCatalog } },
  { name: "tags", pattern: /^\/v2\/(.+)\/tags\/list$/, reference: "none", methods: { GET: getTags } },
  {
    name: "manifest",
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    reference: "tag-or-digest",
    methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
  },
  {
    name: "blob-upload",
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/,
    reference: "none",
    methods: { POST: startUpload },
  },
  {
    name: "blob-upload-chunk",
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    reference: "upload-id",
    methods: { GET: getUploadStatus, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload },
  },
  {
    name: "blob",
    pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    reference: "digest",
    methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
  },
  {
    name: "referrers",
    pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/,
    reference: "digest",
    methods: { GET: getReferrers },
  },
];

/** Each route's template, the `http.route` of its requests' metrics (never the path, which names repositories). */
export const ROUTE_TEMPLATES: Readonly<Record<RouteName, string>> = {
  base: "/v2/",
  catalog: "/v2/_catalog",
  tags: "/v2/{name}/tags/list",
  manifest: "/v2/{name}/manifests/{reference}",
  "blob-upload": "/v2/{name}/blobs/uploads/",
  "blob-upload-chunk": "/v2/{name}/blobs/uploads/{uuid}",
  blob: "/v2/{name}/blobs/{digest}",
  referrers: "/v2/{name}/referrers/{digest}",
};

/** Methods that only read; everything else is refused in read-only mode. */
export const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);
