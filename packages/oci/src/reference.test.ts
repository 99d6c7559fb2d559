import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatImageReference, isRepositoryName, isTag, parseImageReference } from "./reference.js";

const component = fc.stringMatching(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/);
const repository = fc
  .array(component, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("/"))
  .filter((r) => r.length <= 255);
const tag = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/);
const hex = fc.stringMatching(/^[a-f0-9]{64}$/);

describe("repository names and tags", () => {
  it("accepts every name the spec grammar produces", () => {
    fc.assert(fc.property(repository, (r) => isRepositoryName(r)));
    fc.assert(fc.property(tag, (t) => isTag(t)));
  });

  it("rejects traversal, uppercase, empty components and over-long names", () => {
    for (const bad of ["../x", "a/../b", "A/b", "a//b", "a/", "/a", "a..b", "-a", "a" + "/a".repeat(130)]) {
      expect(isRepositoryName(bad), bad).toBe(false);
    }
    for (const bad of ["", ".x", "-x", "a".repeat(129), "a/b", "a:b"]) expect(isTag(bad), bad).toBe(false);
  });

  it("never accepts a name containing '..' or a leading '/'", () => {
    fc.assert(fc.property(fc.string(), (s) => !(isRepositoryName(s) && (s.includes("..") || s.startsWith("/")))));
  });
});

describe("image references", () => {
  it("round-trips registry, repository, tag and digest", () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom("127.0.0.1:5000", "harbor.example.com", "localhost")),
        repository,
        fc.option(tag),
        fc.option(hex),
        (reg, repo, t, h) => {
          fc.pre(t !== null || h !== null);
          // Docker's rule: without a registry, a first component with a dot would be read as one.
          fc.pre(reg !== null || !repo.split("/")[0].includes("."));
          const ref = {
            registry: reg ?? undefined,
            repository: repo,
            tag: t ?? undefined,
            digest: h ? `sha256:${h}` : undefined,
          };
          const parsed = parseImageReference(formatImageReference(ref));
          expect(parsed).toEqual(ref);
        },
      ),
    );
  });

  it("treats a first component without a dot or colon as part of the repository", () => {
    expect(parseImageReference("library/nginx:1.27")).toEqual({
      registry: undefined,
      repository: "library/nginx",
      tag: "1.27",
      digest: undefined,
    });
  });

  it("explains what is wrong", () => {
    expect(() => parseImageReference("library/nginx")).toThrow(/needs a tag or a digest/);
    expect(() => parseImageReference("Library/nginx:1")).toThrow(/bad repository name/);
    expect(() => parseImageReference("nginx@sha256:xyz")).toThrow(/bad digest/);
  });
});
