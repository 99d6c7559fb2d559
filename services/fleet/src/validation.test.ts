import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  projectsOf,
  requireArtifact,
  requireArtifacts,
  requireRegion,
  requireSatelliteName,
  requireSelectors,
  requireStateName,
} from "./validation.js";

const hex = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 });
const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}$/);
const repository = fc
  .tuple(component, fc.array(component, { minLength: 1, maxLength: 3 }))
  .map(([p, rest]) => [p, ...rest].join("/"));
const tag = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,40}$/);
const artifact = fc.record({
  repository,
  tags: fc.array(tag, { minLength: 1, maxLength: 4 }),
  digest: fc.option(
    hex.map((h) => `sha256:${h}`),
    { nil: "" },
  ),
  type: fc.constantFrom("", "image", "chart"),
});

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return "";
};

describe("artifact reference validation (properties)", () => {
  it("accepts every well-formed artifact and keeps what was sent, tags de-duplicated and type defaulted", () => {
    fc.assert(
      fc.property(artifact, (a) => {
        const stored = requireArtifact(a, "a");
        expect(stored.repository).toBe(a.repository);
        expect(stored.tags).toEqual([...new Set(a.tags)]);
        expect(stored.digest).toBe(a.digest === "" ? undefined : a.digest);
        expect(stored.type).toBe(a.type === "" ? "image" : a.type);
      }),
    );
  });

  it("rejects a repository without a project part, naming the field", () => {
    fc.assert(
      fc.property(component, tag, (repo, t) => {
        expect(
          messageOf(() => requireArtifact({ repository: repo, tags: [t], digest: "", type: "" }, "artifacts[3]")),
        ).toContain("artifacts[3].repository");
      }),
    );
  });

  it("rejects repositories with uppercase letters, spaces or empty path components", () => {
    const broken = fc
      .tuple(repository, fc.constantFrom("A", " ", "//", ":", "@", ".."))
      .map(([r, bad]) => `${r}${bad}x`);
    fc.assert(
      fc.property(broken, (r) => {
        expect(messageOf(() => requireArtifact({ repository: r, tags: ["v1"], digest: "", type: "" }, "a"))).toMatch(
          /^a\.repository /,
        );
      }),
    );
  });

  it("rejects any tag outside the OCI tag grammar, naming its index", () => {
    const badTag = fc.oneof(
      fc.tuple(fc.constantFrom(".", "-"), tag).map(([p, t]) => p + t),
      fc.string({ minLength: 129, maxLength: 200, unit: fc.constantFrom("a", "b", "1") }),
      fc.tuple(tag, fc.constantFrom(":", "/", " ", "@", "+")).map(([t, c]) => t + c),
    );
    fc.assert(
      fc.property(repository, badTag, (r, t) => {
        expect(
          messageOf(() => requireArtifact({ repository: r, tags: ["ok", t], digest: "", type: "" }, "a")),
        ).toContain("a.tags[1]");
      }),
    );
  });

  it("rejects digests that are not sha256 with 64 lowercase hex digits", () => {
    const badDigest = fc.oneof(
      hex.map((h) => `sha256:${h.slice(1)}`),
      hex.map((h) => `sha256:${h.toUpperCase()}`).filter((d) => /[A-F]/.test(d)),
      hex.map((h) => `md5:${h}`),
      hex,
    );
    fc.assert(
      fc.property(repository, badDigest, (r, d) => {
        expect(messageOf(() => requireArtifact({ repository: r, tags: ["v1"], digest: d, type: "" }, "a"))).toContain(
          "a.digest",
        );
      }),
    );
  });
});

describe("artifact list and satellite fields", () => {
  it("requires at least one tag and one entry per repository", () => {
    expect(
      messageOf(() => requireArtifact({ repository: "library/nginx", tags: [], digest: "", type: "" }, "artifacts[0]")),
    ).toBe("artifacts[0].tags must name at least one tag (or give tag_regex or semver_range)");
    const twice = [
      { repository: "library/nginx", tags: ["1"], digest: "", type: "" },
      { repository: "library/nginx", tags: ["2"], digest: "", type: "" },
    ];
    expect(messageOf(() => requireArtifacts(twice as never))).toContain(
      'artifacts[1].repository "library/nginx" is already listed at artifacts[0]',
    );
  });

  it("lists the projects of a group's artifacts once, sorted", () => {
    expect(
      projectsOf([
        { repository: "library/nginx", tags: ["1"] },
        { repository: "apps/web/api", tags: ["1"] },
        { repository: "library/redis", tags: ["7"] },
      ]),
    ).toEqual(["apps", "library"]);
  });

  it("defaults the region and checks selectors", () => {
    expect(requireRegion("")).toBe("default");
    expect(messageOf(() => requireRegion("EU West"))).toContain("region");
    expect(requireSelectors(["docker:label:com.docker.compose.service:satellite", "unix:uid:0", "unix:uid:0"])).toEqual(
      ["docker:label:com.docker.compose.service:satellite", "unix:uid:0"],
    );
    for (const bad of ["docker", ":value", "docker:", "docker: spaced", "Docker:x"])
      expect(messageOf(() => requireSelectors(["unix:uid:0", bad]))).toContain("selectors[1]");
  });

  it("refuses names that cannot become a Harbor robot or a state repository path", () => {
    expect(requireSatelliteName("name", "edge-1.eu")).toBe("edge-1.eu");
    for (const bad of ["edge-", "edge--1", "a__b", "a..b"])
      expect(messageOf(() => requireSatelliteName("name", bad))).toContain("cannot name a Harbor robot");
    expect(requireStateName("name", "web--apps")).toBe("web--apps");
    for (const bad of ["web-", "a..b", "a._b"])
      expect(messageOf(() => requireStateName("name", bad))).toContain("cannot name a state artifact");
  });
});
