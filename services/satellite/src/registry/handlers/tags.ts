// `GET /v2/<name>/tags/list?n=&last=` (end-8a, end-8b): tags in ASCII order, at most `n` after
// `last`, with a `Link` to the next page when more remain.
import { OciError } from "@harbor-satellite/oci";
import type { Handler } from "../context.js";
import { nextLink, parsePageSize, sendJson } from "../http.js";

export const getTags: Handler = ({ res, params, query, deps }) => {
  const q = query();
  const n = parsePageSize(q);
  const page = deps.store.pageTags(params.name, { n, last: q.get("last") ?? undefined });
  if (!page) throw new OciError("NAME_UNKNOWN", undefined, { name: params.name });
  const headers = page.next === undefined ? {} : { Link: nextLink(`/v2/${params.name}/tags/list`, n, page.next) };
  sendJson(res, 200, { name: params.name, tags: page.items }, headers);
};
