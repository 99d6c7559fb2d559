// `GET /v2/_catalog?n=&last=`: repositories holding at least one manifest, in ASCII order,
// paged like the tag list (distribution's extension; not in the spec's endpoint table).
import type { Handler } from "../context.js";
import { nextLink, parsePageSize, sendJson } from "../http.js";

export const getCatalog: Handler = ({ res, query, deps }) => {
  const q = query();
  const n = parsePageSize(q);
  const page = deps.store.pageRepositories({ n, last: q.get("last") ?? undefined });
  const headers = page.next === undefined ? {} : { Link: nextLink("/v2/_catalog", n, page.next) };
  sendJson(res, 200, { repositories: page.items }, headers);
};
