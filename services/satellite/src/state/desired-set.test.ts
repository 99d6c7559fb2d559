import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildDesiredSet, planChanges, type GroupInput } from "./desired-set.js";
import { parseGroupStateDocument } from "@harbor-satellite/state-artifact";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const H = "https://harbor";

const group = (name: string, artifacts: GroupInput["artifacts"], registryUrl = H): GroupInput => ({
  group: name,
  registryUrl,
  artifacts,
});
const art = (repository: string, tags: string[], digest?: string, deleted = false) => ({
  repository,
  tags,
  deleted,
  ...(digest ? { digest } : {}),
});

describe("desired set", () => {
  it("is the union over groups, deduplicated, one image per tag, digest-pinned when given", () => {
    const set = buildDesiredSet([
      group("a", [art("lib/nginx", ["1", "latest"]), art("lib/alpine", ["3"], D1)]),
      group("b", [art("lib/alpine", ["3"], D1), art("lib/redis", ["7"])]),
    ]);
    expect(set.images).toEqual([
      { repository: "lib/nginx", tag: "1" },
      { repository: "lib/nginx", tag: "latest" },
      { repository: "lib/alpine", tag: "3", digest: D1 },
      { repository: "lib/redis", tag: "7" },
    ]);
    expect(set.upstreams).toEqual([{ registryUrl: H, images: set.images }]);
    expect(set.conflicts).toEqual([]);
  });

  it("skips deleted and untagged artifacts, saying why", () => {
    const set = buildDesiredSet([group("a", [art("lib/x", ["1"], undefined, true), art("lib/y", [], D1)])]);
    expect(set.images).toEqual([]);
    expect(set.skipped).toEqual([
      { group: "a", repository: "lib/x", reason: "marked deleted" },
      { group: "a", repository: "lib/y", reason: "no tag" },
    ]);
  });

  it("reports a tag wanted at two digests, and the plan leaves it alone", () => {
    const set = buildDesiredSet([group("a", [art("lib/x", ["1"], D1)]), group("b", [art("lib/x", ["1"], D2)])]);
    expect(set.conflicts).toEqual([{ image: "lib/x:1", groups: ["a", "b"] }]);
    const plan = planChanges(set.images, [{ repository: "lib/x", tag: "1", digest: D1 }]);
    expect(plan).toMatchObject({ conflicts: ["lib/x:1"], remove: [], add: [], changed: [] });
  });

  it("reads the group JSON of the original (tag as a list or a string; bad entries set aside)", () => {
    const doc = parseGroupStateDocument({
      group: "g",
      registry: "h",
      artifacts: [
        { repository: "p/a", tag: ["1"], labels: null, type: "image", digest: D1 },
        { repository: "p/b", tag: "2" },
        { repository: "Bad Name", tag: ["1"] },
        { repository: "p/c", tag: ["ok"], digest: "sha256:nope" },
      ],
    });
    expect(doc.artifacts).toEqual([
      { repository: "p/a", tags: ["1"], type: "image", digest: D1, deleted: false },
      { repository: "p/b", tags: ["2"], deleted: false },
    ]);
    expect(doc.rejected.map((r) => r.index)).toEqual([2, 3]);
  });
});

describe("plan against the local set", () => {
  it("adds, changes pinned digests, keeps, and removes what no group wants any more", () => {
    const groups = [group("a", [art("lib/nginx", ["1"]), art("lib/alpine", ["3"], D2)])];
    const plan = planChanges(buildDesiredSet(groups).images, [
      { repository: "lib/alpine", tag: "3", digest: D1 },
      { repository: "lib/nginx", tag: "1", digest: D1 },
      { repository: "lib/old", tag: "1", digest: D1 },
    ]);
    expect(plan.add).toEqual([]);
    expect(plan.changed).toEqual([
      {
        from: { repository: "lib/alpine", tag: "3", digest: D1 },
        to: { repository: "lib/alpine", tag: "3", digest: D2 },
      },
    ]);
    expect(plan.keep).toEqual([{ repository: "lib/nginx", tag: "1" }]);
    expect(plan.remove).toEqual([{ repository: "lib/old", tag: "1", digest: D1 }]);
  });

  it("deletes a removed group's images unless another group still wants them (the original left them)", () => {
    const before = buildDesiredSet([
      group("a", [art("lib/shared", ["1"]), art("lib/only-a", ["1"])]),
      group("b", [art("lib/shared", ["1"])]),
    ]).images;
    const after = buildDesiredSet([group("b", [art("lib/shared", ["1"])])]).images;
    const plan = planChanges(after, before);
    expect(plan.remove).toEqual([{ repository: "lib/only-a", tag: "1" }]);
    expect(plan.keep).toEqual([{ repository: "lib/shared", tag: "1" }]);
  });

  it("partitions every name exactly once", () => {
    const image = fc.record({
      repository: fc.constantFrom("a/x", "a/y", "b/z"),
      tag: fc.constantFrom("1", "2"),
      digest: fc.option(fc.constantFrom(D1, D2), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(image, { maxLength: 8 }), fc.array(image, { maxLength: 8 }), (desired, currentRaw) => {
        const current = [...new Map(currentRaw.map((c) => [`${c.repository}:${c.tag}`, c])).values()];
        const plan = planChanges(desired, current);
        const names = (list: { repository: string; tag: string }[]) => list.map((i) => `${i.repository}:${i.tag}`);
        const wanted = new Set(names(desired));
        const decided = [
          ...names(plan.add),
          ...names(plan.changed.map((c) => c.to)),
          ...names(plan.keep),
          ...plan.conflicts,
        ];
        expect(new Set(decided).size).toBe(decided.length);
        expect(new Set(decided)).toEqual(wanted);
        expect(names(plan.remove).every((n) => !wanted.has(n))).toBe(true);
        expect(
          names(plan.remove).length +
            [...wanted].filter((n) => current.some((c) => `${c.repository}:${c.tag}` === n)).length,
        ).toBe(current.length);
      }),
    );
  });
});
