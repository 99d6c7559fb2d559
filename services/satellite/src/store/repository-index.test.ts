import { MediaType, digestOf } from "@harbor-satellite/oci";
import { describe, expect, it } from "vitest";
import { manifestInfo } from "./manifest-info.js";
import { REF_NAME_ANNOTATION, REPOSITORY_ANNOTATION } from "./paths.js";
import { RepositoryIndex, parseIndexFile } from "./repository-index.js";
import { descriptorOf, imageManifest } from "./test-helpers.js";

describe("index.json mapping", () => {
  const manifest = imageManifest(descriptorOf("c"), [descriptorOf("l")]);
  const info = manifestInfo(digestOf(manifest), manifest, MediaType.OciManifest);

  it("round-trips tags and untagged manifests through index.json", () => {
    const index = new RepositoryIndex();
    const a = index.ensure("team/a");
    a.addManifest(info, MediaType.OciManifest, 0, false);
    a.setTag("v1", info.digest);
    a.setTag("latest", info.digest);
    index.ensure("b").addManifest(info, MediaType.OciManifest, 0, true);
    const parsed = parseIndexFile(index.serialize());
    expect(parsed.foreign).toEqual([]);
    expect(parsed.entries.map((e) => [e.repository, e.tag])).toEqual([
      ["b", undefined],
      ["team/a", "latest"],
      ["team/a", "v1"],
    ]);
    expect(index.serialize()).toBe(index.serialize());
  });

  it("adopts <repository>:<tag> ref names from other tools and keeps the rest verbatim", () => {
    const d = { mediaType: MediaType.OciManifest, digest: info.digest, size: info.size };
    const text = JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { ...d, annotations: { [REF_NAME_ANNOTATION]: "library/app:1.0" } },
        { ...d, annotations: { [REF_NAME_ANNOTATION]: "latest" } },
        { ...d, annotations: { [REPOSITORY_ANNOTATION]: "x", [REF_NAME_ANNOTATION]: "y:1" } },
        d,
      ],
    });
    const parsed = parseIndexFile(text);
    expect(parsed.entries).toEqual([
      { repository: "library/app", tag: "1.0", digest: d.digest, mediaType: d.mediaType, size: d.size },
    ]);
    expect(parsed.foreign).toHaveLength(3);
  });
});
