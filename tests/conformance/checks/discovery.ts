// Content discovery (spec "Content Discovery"): end-8a/8b tags, end-12a/12b referrers, and
// distribution's `_catalog`.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { Check, CheckContext } from "../check.js";
import type { Fixtures } from "../fixtures.js";
import { pushBlob, pushManifest, putManifest } from "../setup.js";

const TAGS = ["1.0", "1.1", "2.0", "Latest", "alpha", "beta", "z_last"];

async function tagged(t: CheckContext, f: Fixtures): Promise<void> {
  for (const blob of f.image.blobs) await pushBlob(t, t.repo(), blob);
  for (const tag of TAGS) t.status(await putManifest(t, t.repo(), tag, f.image), [201], `setup: tag ${tag}`);
}

function tagsOf(t: CheckContext, reply: { json<T>(): T }): string[] {
  const body = reply.json<{ name?: string; tags?: string[] | null }>();
  t.equal(body.name, t.repo(), "tags list name");
  return body.tags ?? [];
}

/** Referrers of f.image pushed into the check's repository: an SBOM and a signature. */
async function withReferrers(t: CheckContext, f: Fixtures): Promise<void> {
  await pushManifest(t, t.repo(), "v1", f.image);
  for (const m of [f.sbom, f.signature]) await pushManifest(t, t.repo(), m.digest, m);
}

export function discoveryChecks(f: Fixtures): Check[] {
  return [
    {
      id: "tags-list",
      category: "discovery",
      title: "the tag list holds every tag in ASCII order",
      spec: "end-8a",
      run: async (t) => {
        await tagged(t, f);
        const list = await t.request("GET tags", "GET", `/v2/${t.repo()}/tags/list`);
        t.status(list, [200], "GET tags/list");
        t.equal(tagsOf(t, list), TAGS, "tags");
      },
    },
    {
      id: "tags-list-paged",
      category: "discovery",
      title: "n limits the list (with a Link to the rest), last continues after a tag",
      spec: "end-8b",
      run: async (t) => {
        await tagged(t, f);
        const first = await t.request("GET tags n=3", "GET", `/v2/${t.repo()}/tags/list?n=3`);
        t.status(first, [200], "GET tags n=3");
        t.equal(tagsOf(t, first), TAGS.slice(0, 3), "first page");
        t.ok(/rel="next"/.test(first.headers.get("link") ?? ""), "first page: Link rel=next missing");
        const next = await t.request("GET tags n=3 last", "GET", `/v2/${t.repo()}/tags/list?n=3&last=${TAGS[2]}`);
        t.equal(tagsOf(t, next), TAGS.slice(3, 6), "second page");
        const rest = await t.request("GET tags last only", "GET", `/v2/${t.repo()}/tags/list?last=${TAGS[4]}`);
        t.equal(tagsOf(t, rest), TAGS.slice(5), "after last without n");
      },
    },
    {
      id: "tags-list-zero",
      category: "discovery",
      title: "n=0 answers an empty list and no Link",
      spec: "end-8b",
      run: async (t) => {
        await tagged(t, f);
        const zero = await t.request("GET tags n=0", "GET", `/v2/${t.repo()}/tags/list?n=0`);
        t.status(zero, [200], "GET tags n=0");
        t.equal(tagsOf(t, zero), [], "n=0 tags");
        t.equal(zero.headers.get("link"), null, "n=0 Link");
      },
    },
    {
      id: "tags-list-empty",
      category: "discovery",
      title: "a repository holding only a manifest pushed by digest lists no tags (200, empty)",
      spec: "end-8a",
      run: async (t) => {
        await pushManifest(t, t.repo(), f.image2.digest, f.image2);
        const list = await t.request("GET tags of untagged repository", "GET", `/v2/${t.repo()}/tags/list`);
        t.status(list, [200], "GET tags/list of a repository without tags");
        t.equal(tagsOf(t, list), [], "tags");
      },
    },
    {
      id: "tags-list-unknown-repository",
      category: "discovery",
      title: "the tags of an unknown repository answer 404",
      spec: "end-8a",
      run: async (t) => {
        t.error(
          await t.request("GET tags unknown repo", "GET", `/v2/${t.repo("never")}/tags/list`),
          [404],
          "tags of an unknown repository",
          "NAME_UNKNOWN",
        );
      },
    },
    {
      id: "catalog",
      category: "discovery",
      title: "_catalog lists pushed repositories, and pages with n",
      spec: "distribution _catalog",
      run: async (t) => {
        await pushManifest(t, t.repo("a"), "v1", f.image);
        await pushManifest(t, t.repo("b"), "v1", f.image);
        const all = await t.request("GET catalog", "GET", "/v2/_catalog");
        t.status(all, [200], "GET _catalog");
        const repos = all.json<{ repositories: string[] }>().repositories;
        t.ok(repos.includes(t.repo("a")) && repos.includes(t.repo("b")), "catalog misses a pushed repository");
        // No order is asserted: _catalog is distribution's extension, outside the spec, and
        // distribution sorts by path component ("a/b" before "a-c") where we sort whole names.
        const page = await t.request("GET catalog n=1", "GET", "/v2/_catalog?n=1");
        t.equal(page.json<{ repositories: string[] }>().repositories.length, 1, "catalog n=1 size");
        t.ok(/rel="next"/.test(page.headers.get("link") ?? ""), "catalog n=1: Link missing");
      },
    },
    {
      id: "referrers",
      category: "discovery",
      title: "the referrers API lists manifests whose subject is the digest (v1.1)",
      spec: "end-12a",
      run: async (t) => {
        await withReferrers(t, f);
        const res = await t.request("GET referrers", "GET", `/v2/${t.repo()}/referrers/${f.image.digest}`);
        t.status(res, [200], "GET referrers");
        t.equal(res.headers.get("content-type")?.split(";")[0], MediaType.OciIndex, "referrers Content-Type");
        const index = res.json<{
          schemaVersion: number;
          manifests: { digest: string; artifactType?: string; annotations?: Record<string, string>; size: number }[];
        }>();
        t.equal(index.schemaVersion, 2, "referrers schemaVersion");
        const byDigest = new Map(index.manifests.map((m) => [m.digest, m]));
        for (const m of [f.sbom, f.signature]) {
          const d = byDigest.get(m.digest);
          t.ok(d !== undefined, `referrer ${m.digest} missing`);
          const body = JSON.parse(m.bytes.toString()) as { artifactType: string; annotations: Record<string, string> };
          t.equal(d?.artifactType, body.artifactType, "referrer artifactType");
          t.equal(d?.annotations, body.annotations, "referrer annotations");
          t.equal(d?.size, m.bytes.length, "referrer size");
        }
        t.equal(index.manifests.length, 2, "referrer count");
      },
    },
    {
      id: "referrers-filtered",
      category: "discovery",
      title: "artifactType filters referrers and OCI-Filters-Applied says so (v1.1)",
      spec: "end-12b",
      run: async (t) => {
        await withReferrers(t, f);
        const res = await t.request(
          "GET referrers filtered",
          "GET",
          `/v2/${t.repo()}/referrers/${f.image.digest}?artifactType=${encodeURIComponent("application/spdx+json")}`,
        );
        t.status(res, [200], "GET referrers filtered");
        t.equal(res.headers.get("oci-filters-applied"), "artifactType", "OCI-Filters-Applied");
        t.equal(
          res.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest),
          [f.sbom.digest],
          "filtered referrers",
        );
      },
    },
    {
      id: "referrers-none",
      category: "discovery",
      title: "a digest with no referrers answers 200 with an empty index, never 404 (v1.1)",
      spec: "end-12a",
      run: async (t) => {
        await pushManifest(t, t.repo(), "v1", f.image2);
        const res = await t.request("GET referrers none", "GET", `/v2/${t.repo()}/referrers/${f.image2.digest}`);
        t.status(res, [200], "GET referrers of a digest without any");
        t.equal(res.json<{ manifests: unknown[] }>().manifests, [], "no referrers");
        t.status(
          await t.request("GET referrers bad digest", "GET", `/v2/${t.repo()}/referrers/sha256:zz`),
          [400],
          "referrers of a malformed digest",
        );
        t.status(
          await t.request("GET referrers unknown digest", "GET", `/v2/${t.repo()}/referrers/${digestOf("unknown")}`),
          [200],
          "referrers of an unknown digest",
        );
      },
    },
  ];
}
