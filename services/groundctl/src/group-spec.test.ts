import { describe, expect, it } from "vitest";
import { artifactsFromImages, parseGroupFile, parseImageRef } from "./group-spec.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("group specs", () => {
  it("parses image references with tag, digest or both", () => {
    expect(parseImageRef("apps/nginx:1.27")).toEqual({ repository: "apps/nginx", tag: "1.27" });
    expect(parseImageRef(`apps/nginx@${DIGEST}`)).toEqual({ repository: "apps/nginx", digest: DIGEST });
    expect(parseImageRef(`apps/team/nginx:1.27@${DIGEST}`)).toEqual({
      repository: "apps/team/nginx",
      tag: "1.27",
      digest: DIGEST,
    });
    expect(() => parseImageRef("apps/nginx")).toThrow(/needs a tag/);
    expect(() => parseImageRef("apps/nginx:")).toThrow(/empty tag/);
    expect(() => parseImageRef("apps/nginx@sha256:xyz")).toThrow(/sha256:<64 hex>/);
  });

  it("gathers --image tags of one repository into one artifact, keeping order", () => {
    expect(
      artifactsFromImages([
        "apps/nginx:1.27",
        "apps/alpine:3.20",
        "apps/nginx:1.28",
        "apps/nginx:1.27",
        `apps/nginx:1.29@${DIGEST}`,
      ]),
    ).toEqual([
      { repository: "apps/nginx", tags: ["1.27", "1.28"] },
      { repository: "apps/alpine", tags: ["3.20"] },
      { repository: "apps/nginx", tags: ["1.29"], digest: DIGEST },
    ]);
    expect(() => artifactsFromImages([`apps/nginx@${DIGEST}`])).toThrow(/needs a tag too/);
  });

  it("reads YAML and JSON files, tags as strings (1.10 stays 1.10), the group-state form too", () => {
    expect(
      parseGroupFile(
        "name: web\nartifacts:\n  - repository: apps/nginx\n    tags: [1.10, latest]\n    type: image\nimages: [apps/alpine:3.20]\n",
        "web.yaml",
      ),
    ).toEqual({
      name: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.10", "latest"], type: "image" },
        { repository: "apps/alpine", tags: ["3.20"] },
      ],
    });
    expect(
      parseGroupFile(
        JSON.stringify({ group: "web", artifacts: [{ repository: "apps/nginx", tag: ["1.27"], digest: DIGEST }] }),
        "web.json",
      ),
    ).toEqual({
      name: "web",
      artifacts: [{ repository: "apps/nginx", tags: ["1.27"], digest: DIGEST }],
    });
    expect(parseGroupFile("artifacts:\n", "empty.yaml")).toEqual({ artifacts: [] });
  });

  it("refuses what it cannot read exactly, naming the file and the place", () => {
    expect(() => parseGroupFile("artifact:\n  - repository: a/b\n", "g.yaml")).toThrow(
      /g\.yaml: unknown key "artifact"/,
    );
    expect(() => parseGroupFile("artifacts:\n  - repo: a/b\n", "g.yaml")).toThrow(
      /g\.yaml: artifacts\[0\]: unknown key "repo"/,
    );
    expect(() => parseGroupFile("artifacts:\n  - repository: a/b\n    tags: [{x: 1}]\n", "g.yaml")).toThrow(
      /artifacts\[0\]\.tags must be strings/,
    );
    expect(() => parseGroupFile("- a\n", "g.yaml")).toThrow(/expected a mapping/);
    expect(() => parseGroupFile("{", "g.json")).toThrow(/g\.json: not YAML or JSON/);
    expect(() => parseGroupFile("artifacts: x\n", "g.yaml")).toThrow(/artifacts must be a list/);
  });
});
