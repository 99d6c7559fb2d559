// Content discovery: tags list and catalog with n/last and Link, and the referrers API.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageManifest, storedImage, writeBlob } from "../../store/test-helpers.js";
import { call, startTestRegistry, type TestRegistry } from "../test-server.js";

describe("content discovery", () => {
  let reg: TestRegistry;
  let subject: Awaited<ReturnType<typeof storedImage>>;
  const tags = ["1.0", "1.1", "2.0", "Latest", "alpha", "beta"]; // ASCII order: digits, upper, lower
  beforeAll(async () => {
    reg = await startTestRegistry();
    subject = await storedImage(reg.store, "subject");
    for (const tag of [...tags].reverse())
      await reg.store.putManifest("lib/app", subject.manifest, MediaType.OciManifest, tag);
    for (const repo of ["zeta", "alpha/one", "alpha"])
      await reg.store.putManifest(repo, subject.manifest, MediaType.OciManifest, "v1");
  });
  afterAll(() => reg.stop());

  const json = async (path: string) => {
    const res = await call(reg.url, "GET", path);
    return {
      status: res.status,
      link: res.headers.get("link"),
      body: JSON.parse(res.text) as Record<string, unknown>,
      headers: res.headers,
    };
  };

  it("lists all tags in ASCII order", async () => {
    expect((await json("/v2/lib/app/tags/list")).body).toEqual({ name: "lib/app", tags });
  });

  it("pages tags with n and last, linking to the next page", async () => {
    const first = await json("/v2/lib/app/tags/list?n=4");
    expect(first.body.tags).toEqual(tags.slice(0, 4));
    expect(first.link).toBe('</v2/lib/app/tags/list?n=4&last=Latest>; rel="next"');
    const second = await json("/v2/lib/app/tags/list?n=4&last=Latest");
    expect([second.body.tags, second.link]).toEqual([tags.slice(4), null]);
    expect((await json("/v2/lib/app/tags/list?last=1.1")).body.tags).toEqual(tags.slice(2));
    const zero = await json("/v2/lib/app/tags/list?n=0");
    expect([zero.body.tags, zero.link]).toEqual([[], null]);
    expect((await json("/v2/lib/app/tags/list?n=6")).link).toBeNull();
  });

  it("answers NAME_UNKNOWN for the tags of an unknown repository", async () => {
    const res = await call(reg.url, "GET", "/v2/unknown/tags/list");
    expect([res.status, res.code]).toEqual([404, "NAME_UNKNOWN"]);
  });

  it("lists and pages the catalog", async () => {
    expect((await json("/v2/_catalog")).body).toEqual({ repositories: ["alpha", "alpha/one", "lib/app", "zeta"] });
    const page = await json("/v2/_catalog?n=2");
    expect([page.body.repositories, page.link]).toEqual([
      ["alpha", "alpha/one"],
      '</v2/_catalog?n=2&last=alpha%2Fone>; rel="next"',
    ]);
    expect((await json("/v2/_catalog?n=2&last=alpha%2Fone")).body.repositories).toEqual(["lib/app", "zeta"]);
  });

  it("lists referrers as an image index, filtered by artifactType on request", async () => {
    const desc = { mediaType: MediaType.OciManifest, digest: subject.digest, size: subject.manifest.length };
    const empty = await writeBlob(reg.store, "{}");
    const sbom = imageManifest({ ...empty, mediaType: MediaType.OciEmpty }, [await writeBlob(reg.store, "spdx")], {
      artifactType: "application/spdx+json",
      subject: desc,
      annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" },
    });
    const sig = imageManifest({ ...empty, mediaType: "application/vnd.example.sig.config" }, [], { subject: desc });
    for (const m of [sbom, sig]) {
      const res = await call(reg.url, "PUT", `/v2/lib/app/manifests/${digestOf(m)}`, {
        headers: { "content-type": MediaType.OciManifest },
        body: m,
      });
      expect(res.headers.get("oci-subject")).toBe(subject.digest);
    }
    const all = await json(`/v2/lib/app/referrers/${subject.digest}`);
    expect(all.headers.get("content-type")).toBe(MediaType.OciIndex);
    expect(all.headers.get("oci-filters-applied")).toBeNull();
    expect(all.body.schemaVersion).toBe(2);
    expect(all.body.manifests).toEqual(
      expect.arrayContaining([
        {
          mediaType: MediaType.OciManifest,
          digest: digestOf(sbom),
          size: sbom.length,
          artifactType: "application/spdx+json",
          annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" },
        },
        {
          mediaType: MediaType.OciManifest,
          digest: digestOf(sig),
          size: sig.length,
          artifactType: "application/vnd.example.sig.config",
        },
      ]),
    );
    const filtered = await json(
      `/v2/lib/app/referrers/${subject.digest}?artifactType=${encodeURIComponent("application/spdx+json")}`,
    );
    expect(filtered.headers.get("oci-filters-applied")).toBe("artifactType");
    expect((filtered.body.manifests as { digest: string }[]).map((m) => m.digest)).toEqual([digestOf(sbom)]);
    // Other repositories do not see them; an unknown subject has none. Never a 404.
    expect((await json(`/v2/zeta/referrers/${subject.digest}`)).body.manifests).toEqual([]);
    expect((await json(`/v2/nowhere/referrers/${digestOf("none")}`)).status).toBe(200);
  });

  it("answers GET /v2/ with 200 and the API version header", async () => {
    const res = await call(reg.url, "GET", "/v2/");
    expect([res.status, res.headers.get("docker-distribution-api-version")]).toEqual([200, "registry/2.0"]);
  });
});
