import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { imageName, type DesiredImage, type OwnedImage } from "./desired-image.js";
import { isUpToDate, mayUntag, nextOwned, planPass } from "./planner.js";

const d = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const owned = (repository: string, tag: string, digest = d(1), sourceDigest = digest): OwnedImage => ({
  repository,
  tag,
  digest,
  sourceDigest,
});

describe("planPass", () => {
  it("keeps the first of duplicates, rejects conflicting pins and untags only owned images no longer desired", () => {
    const desired: DesiredImage[] = [
      { repository: "a", tag: "1" },
      { repository: "a", tag: "1" },
      { repository: "b", tag: "1", digest: d(1) },
      { repository: "b", tag: "1", digest: d(2) },
      { repository: "c", tag: "1" },
    ];
    const plan = planPass(desired, [owned("a", "1"), owned("b", "1"), owned("z", "9")]);
    expect(plan.images.map(imageName)).toEqual(["a:1", "c:1"]);
    expect(plan.conflicts).toEqual(["b:1"]);
    expect(plan.untag.map(imageName)).toEqual(["z:9"]);
  });
  it("never untags a desired image and never drops one that is not in conflict", () => {
    const image = fc.record({
      repository: fc.constantFrom("a", "b", "c"),
      tag: fc.constantFrom("1", "2"),
      digest: fc.option(fc.constantFrom(d(1), d(2)), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(image), fc.array(image), (desired, before) => {
        const plan = planPass(
          desired,
          before.map((o) => owned(o.repository, o.tag)),
        );
        const wanted = new Set(desired.map(imageName));
        const kept = new Set([...plan.images.map(imageName), ...plan.conflicts]);
        return plan.untag.every((o) => !wanted.has(imageName(o))) && [...wanted].every((n) => kept.has(n));
      }),
    );
  });
});

describe("isUpToDate", () => {
  it("is true for the same manifest, or for the platform manifest picked from the same source", () => {
    expect(isUpToDate(d(1), d(1), undefined)).toBe(true);
    expect(isUpToDate(d(1), undefined, owned("a", "1"))).toBe(false);
    expect(isUpToDate(d(9), d(2), owned("a", "1", d(2), d(9)))).toBe(true);
    expect(isUpToDate(d(8), d(2), owned("a", "1", d(2), d(9)))).toBe(false);
    expect(isUpToDate(d(9), d(3), owned("a", "1", d(2), d(9)))).toBe(false);
  });
});

describe("owned images", () => {
  it("untags only a tag that still points where the pass put it", () => {
    expect(mayUntag(owned("a", "1"), d(1))).toBe(true);
    expect(mayUntag(owned("a", "1"), d(2))).toBe(false);
    expect(mayUntag(owned("a", "1"), undefined)).toBe(false);
  });
  it("keeps failed images it owned, drops untagged ones, adds successes", () => {
    const next = nextOwned(
      [owned("a", "1"), owned("b", "1"), owned("c", "1")],
      [owned("d", "1", d(4))],
      ["a:1", "x:1"],
      ["c:1"],
    );
    expect(next.map(imageName)).toEqual(["a:1", "d:1"]);
  });
});
