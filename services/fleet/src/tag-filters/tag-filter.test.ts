// The resolver's choices: regex, semver range, both, count, ordering, ties, and what it refuses.
import { describe, expect, it } from "vitest";
import { filterProblem, MAX_NEWEST_COUNT, selectNewestTags, type TagInfo } from "./tag-filter.js";

/** Tags pushed in this order, one second apart (the times are relative; only their order matters). */
function pushed(...names: string[]): TagInfo[] {
  return names.map((name, i) => ({
    name,
    digest: `sha256:${String(i).padStart(64, "0")}`,
    pushTime: new Date(i * 1000),
  }));
}
const names = (tags: TagInfo[]) => tags.map((t) => t.name);

describe("selectNewestTags", () => {
  it("with a regex only, keeps the newest matching tags by push time, newest first", () => {
    const tags = pushed("1.2.0", "1.3.0", "1.2.1", "latest", "1.2.10", "main");
    expect(names(selectNewestTags({ tagRegex: "^1\\.2\\.", newestCount: 2 }, tags))).toEqual(["1.2.10", "1.2.1"]);
    expect(names(selectNewestTags({ tagRegex: "^1\\.2\\.", newestCount: 10 }, tags))).toEqual([
      "1.2.10",
      "1.2.1",
      "1.2.0",
    ]);
  });

  it("matches a regex anywhere in the tag unless it is anchored", () => {
    const tags = pushed("v1-alpine", "alpine", "alpine-slim", "v2");
    expect(names(selectNewestTags({ tagRegex: "alpine", newestCount: 5 }, tags))).toEqual([
      "alpine-slim",
      "alpine",
      "v1-alpine",
    ]);
    expect(names(selectNewestTags({ tagRegex: "^alpine$", newestCount: 5 }, tags))).toEqual(["alpine"]);
  });

  it("with a semver range, orders by version whatever the push order, and skips tags that are not versions", () => {
    // 1.10.0 was pushed before 1.9.0 (a backport): semver order still puts it first.
    const tags = pushed("1.10.0", "1.9.0", "2.0.0", "1.2", "latest", "v1.11.0", "1.4.0-rc.1");
    expect(names(selectNewestTags({ semverRange: ">=1.2 <2", newestCount: 2 }, tags))).toEqual(["v1.11.0", "1.10.0"]);
    expect(names(selectNewestTags({ semverRange: "^1", newestCount: 10 }, tags))).toEqual([
      "v1.11.0",
      "1.10.0",
      "1.9.0",
    ]);
  });

  it("keeps prereleases out unless the range names one", () => {
    const tags = pushed("1.4.0-rc.1", "1.3.0", "1.4.0-rc.2");
    expect(names(selectNewestTags({ semverRange: ">=1.3 <2", newestCount: 5 }, tags))).toEqual(["1.3.0"]);
    expect(names(selectNewestTags({ semverRange: ">=1.4.0-rc.1 <2", newestCount: 5 }, tags))).toEqual([
      "1.4.0-rc.2",
      "1.4.0-rc.1",
    ]);
  });

  it("with a regex and a range, a tag must pass both", () => {
    const tags = pushed("1.2.0-alpine", "1.2.0", "1.3.0-alpine", "2.0.0-alpine");
    expect(names(selectNewestTags({ tagRegex: "-alpine$", semverRange: "<2", newestCount: 5 }, tags))).toEqual([
      // "-alpine" makes these prereleases in semver; a range naming none keeps them out…
    ]);
    const plain = pushed("1.2.0", "1.2.1", "1.3.0", "2.0.0");
    expect(names(selectNewestTags({ tagRegex: "^1\\.2\\.", semverRange: ">=1.2.1", newestCount: 5 }, plain))).toEqual([
      "1.2.1",
    ]);
  });

  it("breaks ties the same way every time: the same version goes to the later push, the same push time to the greater name", () => {
    const sameVersion = pushed("v1.2.0", "1.2.0", "1.1.0");
    expect(names(selectNewestTags({ semverRange: "1.x", newestCount: 3 }, sameVersion))).toEqual([
      "1.2.0",
      "v1.2.0",
      "1.1.0",
    ]);
    const at = new Date(5000);
    const samePush = ["b", "a", "c"].map((name) => ({ name, digest: "sha256:" + "1".repeat(64), pushTime: at }));
    expect(names(selectNewestTags({ tagRegex: ".", newestCount: 3 }, samePush))).toEqual(["c", "b", "a"]);
    expect(names(selectNewestTags({ tagRegex: ".", newestCount: 3 }, [...samePush].reverse()))).toEqual([
      "c",
      "b",
      "a",
    ]);
  });

  it("returns nothing when nothing matches (the caller reports it)", () => {
    expect(selectNewestTags({ tagRegex: "^3\\.", newestCount: 1 }, pushed("1.0.0", "2.0.0"))).toEqual([]);
    expect(selectNewestTags({ semverRange: ">=3", newestCount: 1 }, pushed("1.0.0", "2.0.0"))).toEqual([]);
    expect(selectNewestTags({ semverRange: ">=1", newestCount: 1 }, [])).toEqual([]);
  });

  it("keeps each chosen tag's own digest", () => {
    const tags = pushed("1.0.0", "1.1.0");
    expect(selectNewestTags({ semverRange: "1", newestCount: 1 }, tags)).toEqual([tags[1]]);
  });

  it("matches a pathological regex in linear time (RE2: no catastrophic backtracking)", () => {
    const tag = "a".repeat(127) + "!";
    const started = performance.now();
    expect(selectNewestTags({ tagRegex: "^(a+)+$", newestCount: 1 }, pushed(tag))).toEqual([]);
    expect(selectNewestTags({ tagRegex: "(a|aa)+b", newestCount: 1 }, pushed(tag))).toEqual([]);
    // A backtracking engine takes ~2^127 steps here; RE2 a few milliseconds. Generous bound for a busy machine.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("filterProblem", () => {
  it("accepts usable filters", () => {
    expect(filterProblem({ tagRegex: "^1\\.2\\.", newestCount: 3 })).toBeUndefined();
    expect(filterProblem({ semverRange: ">=1.2 <2" })).toBeUndefined();
    expect(filterProblem({ tagRegex: "alpine", semverRange: "~1.4", newestCount: MAX_NEWEST_COUNT })).toBeUndefined();
  });

  it.each([
    [{ tagRegex: "(" }, "tag_regex", /not an RE2 regular expression \(.*missing closing \)/],
    [{ tagRegex: "(a)\\1" }, "tag_regex", /not an RE2 regular expression/],
    [{ tagRegex: "^(?=v)" }, "tag_regex", /not an RE2 regular expression/],
    [{ tagRegex: "a".repeat(257) }, "tag_regex", /longer than 256 characters/],
    [{ semverRange: "not a range" }, "semver_range", /"not a range" is not a semver range/],
    [{ semverRange: ">=1.2 <" + "9".repeat(300) }, "semver_range", /longer than 256/],
    [{ semverRange: "^1", newestCount: 0 }, "newest_count", /0 must be between 1 and 100/],
    [{ semverRange: "^1", newestCount: -2 }, "newest_count", /-2 must be between 1 and 100/],
    [{ semverRange: "^1", newestCount: 101 }, "newest_count", /101 must be between 1 and 100/],
  ])("refuses %j", (filter, field, message) => {
    const problem = filterProblem(filter);
    expect(problem?.field).toBe(field);
    expect(problem?.message).toMatch(message);
  });
});
