import { digestOf } from "@harbor-satellite/oci";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchRoute } from "./router.js";

const d = digestOf("x");

describe("router", () => {
  it("names each route family and captures name and reference", () => {
    const cases: [string, string, string, string][] = [
      ["/v2/", "base", "", ""],
      ["/v2/_catalog", "catalog", "", ""],
      ["/v2/a/b/c/tags/list", "tags", "a/b/c", ""],
      ["/v2/library/nginx/manifests/1.27", "manifest", "library/nginx", "1.27"],
      [`/v2/x/manifests/${d}`, "manifest", "x", d],
      [`/v2/x/manifests/${d.replace(":", "%3A")}`, "manifest", "x", d],
      ["/v2/x/blobs/uploads/", "blob-upload", "x", ""],
      ["/v2/x/blobs/uploads/abc-123", "blob-upload-chunk", "x", "abc-123"],
      [`/v2/x/y/blobs/${d}`, "blob", "x/y", d],
      [`/v2/x/referrers/${d}`, "referrers", "x", d],
      // A repository may itself be called "manifests" or "blobs".
      ["/v2/manifests/manifests/latest", "manifest", "manifests", "latest"],
      [`/v2/blobs/blobs/${d}`, "blob", "blobs", d],
    ];
    for (const [path, route, name, reference] of cases) {
      const m = matchRoute(path, "GET");
      expect([m?.route.name, m?.params.name, m?.params.reference], path).toEqual([route, name, reference]);
    }
    expect(matchRoute("/v1/x", "GET")).toBeUndefined();
    expect(matchRoute("/v2/x/unknown/thing", "GET")).toBeUndefined();
  });

  it("rejects names outside the grammar and malformed references", () => {
    expect(() => matchRoute("/v2/a/../b/tags/list", "GET")).toThrow(expect.objectContaining({ code: "NAME_INVALID" }));
    expect(() => matchRoute("/v2/x/blobs/sha256:zz", "GET")).toThrow(
      expect.objectContaining({ code: "DIGEST_INVALID" }),
    );
    expect(() => matchRoute("/v2/x/manifests/.bad", "GET")).toThrow(
      expect.objectContaining({ code: "MANIFEST_UNKNOWN" }),
    );
    expect(() => matchRoute("/v2/x/manifests/.bad", "PUT")).toThrow(expect.objectContaining({ code: "TAG_INVALID" }));
  });

  it("never hands a name with '..', '%' or a leading '/' to a handler", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (name) => {
        try {
          const m = matchRoute(`/v2/${name}/tags/list`, "GET");
          return (
            m === undefined ||
            !(m.params.name.includes("..") || m.params.name.includes("%") || m.params.name.startsWith("/"))
          );
        } catch {
          return true;
        }
      }),
    );
  });
});
