import { describe, expect, it } from "vitest";
import { parseDesiredImage } from "./desired-image.js";
import { formatPlatform, matchesPlatform, parsePlatform } from "./platform.js";

const hex = "a".repeat(64);

describe("parseDesiredImage", () => {
  it("reads repository, tag and an optional digest pin", () => {
    expect(parseDesiredImage("library/nginx:1.27")).toEqual({ repository: "library/nginx", tag: "1.27" });
    expect(parseDesiredImage(`team/app:v2@sha256:${hex}`)).toEqual({
      repository: "team/app",
      tag: "v2",
      digest: `sha256:${hex}`,
    });
  });
  it("explains what is wrong", () => {
    expect(() => parseDesiredImage("library/nginx")).toThrow(/needs REPOSITORY:TAG/);
    expect(() => parseDesiredImage("127.0.0.1:5000/app")).toThrow(/needs REPOSITORY:TAG/);
    expect(() => parseDesiredImage("../etc:1")).toThrow(/bad repository name/);
    expect(() => parseDesiredImage("app:.bad")).toThrow(/bad tag/);
    expect(() => parseDesiredImage("app:1@sha256:xyz")).toThrow(/bad digest/);
  });
});

describe("platform filter", () => {
  it("parses os/arch[/variant] and matches descriptors, the variant only when asked", () => {
    const arm = parsePlatform("linux/arm/v7");
    expect(arm).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(formatPlatform(arm)).toBe("linux/arm/v7");
    expect(matchesPlatform({ os: "linux", architecture: "arm", variant: "v7" }, arm)).toBe(true);
    expect(matchesPlatform({ os: "linux", architecture: "arm", variant: "v6" }, arm)).toBe(false);
    expect(matchesPlatform({ os: "linux", architecture: "amd64", variant: "v3" }, parsePlatform("linux/amd64"))).toBe(
      true,
    );
    expect(matchesPlatform(undefined, parsePlatform("linux/amd64"))).toBe(false);
    for (const bad of ["linux", "linux/", "a/b/c/d", "linux/amd 64"])
      expect(() => parsePlatform(bad), bad).toThrow(/invalid platform/);
  });
});
