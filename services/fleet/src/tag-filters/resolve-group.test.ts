// A group's stored artifacts → the concrete entries its group state lists.
import type { GroupArtifact } from "@harbor-satellite/db";
import { describe, expect, it } from "vitest";
import { hasTagFilters, NoMatchingTagsError, resolveGroupArtifacts, type ListTags } from "./resolve-group.js";
import type { TagInfo } from "./tag-filter.js";

const digest = (n: number) => `sha256:${String(n).padStart(64, "0")}`;
const harbor: Record<string, TagInfo[]> = {
  "apps/web": [
    { name: "1.2.0", digest: digest(1), pushTime: new Date(1000) },
    { name: "1.2.1", digest: digest(2), pushTime: new Date(2000) },
    { name: "1.3.0", digest: digest(3), pushTime: new Date(3000) },
    { name: "latest", digest: digest(3), pushTime: new Date(3000) },
  ],
};
const listed: string[] = [];
const listTags: ListTags = (repository) => {
  listed.push(repository);
  return Promise.resolve(harbor[repository] ?? []);
};

describe("resolveGroupArtifacts", () => {
  it("leaves plain artifacts as stored and never asks Harbor for them", async () => {
    listed.length = 0;
    const plain: GroupArtifact[] = [{ repository: "library/nginx", tags: ["1.27"], type: "image" }];
    expect(await resolveGroupArtifacts("g", plain, listTags)).toEqual([
      { repository: "library/nginx", tags: ["1.27"], digest: undefined, type: "image" },
    ]);
    expect(listed).toEqual([]);
    expect(hasTagFilters(plain)).toBe(false);
  });

  it("replaces a filtered artifact by one entry per chosen tag, pinned to its digest, newest first", async () => {
    const filtered: GroupArtifact[] = [
      { repository: "apps/web", tags: [], type: "image", semverRange: ">=1.2 <2", newestCount: 2 },
    ];
    expect(hasTagFilters(filtered)).toBe(true);
    expect(await resolveGroupArtifacts("g", filtered, listTags)).toEqual([
      { repository: "apps/web", tags: ["1.3.0"], digest: digest(3), type: "image" },
      { repository: "apps/web", tags: ["1.2.1"], digest: digest(2), type: "image" },
    ]);
  });

  it("defaults to the single newest tag", async () => {
    const filtered: GroupArtifact[] = [{ repository: "apps/web", tags: [], tagRegex: "^1\\.2\\." }];
    expect(await resolveGroupArtifacts("g", filtered, listTags)).toEqual([
      { repository: "apps/web", tags: ["1.2.1"], digest: digest(2), type: "image" },
    ]);
  });

  it("keeps tags listed beside the filter, following them, unless the filter chose them", async () => {
    const mixed: GroupArtifact[] = [
      { repository: "apps/web", tags: ["latest", "1.3.0"], type: "image", semverRange: "^1", newestCount: 1 },
    ];
    expect(await resolveGroupArtifacts("g", mixed, listTags)).toEqual([
      { repository: "apps/web", tags: ["latest"], type: "image" },
      { repository: "apps/web", tags: ["1.3.0"], digest: digest(3), type: "image" },
    ]);
  });

  it("fails with NoMatchingTagsError naming the group, repository and filter when nothing matches", async () => {
    const none: GroupArtifact[] = [{ repository: "apps/web", tags: [], semverRange: ">=2", newestCount: 3 }];
    const error = await resolveGroupArtifacts("edge", none, listTags).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoMatchingTagsError);
    expect((error as Error).message).toBe(
      'group edge: no tag of apps/web matches semver_range ">=2", newest 3 (4 tags in Harbor); ' +
        "its group state is not published until one does, and satellites keep the last published one",
    );
  });
});
