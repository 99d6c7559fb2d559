import { describe, expect, it } from "vitest";
import { digestOf } from "./digest.js";
import { ManifestInvalidError, parseManifest, referencedDescriptors } from "./manifest.js";
import { MediaType } from "./media-types.js";

const d = (s: string) => ({ mediaType: MediaType.OciLayer, digest: digestOf(s), size: s.length });
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

describe("parseManifest", () => {
  it("parses an OCI image manifest and lists config then layers", () => {
    const m = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: d("c"), layers: [d("a"), d("b")] };
    const parsed = parseManifest(bytes(m));
    expect(parsed.kind).toBe("manifest");
    expect(referencedDescriptors(parsed).map((x) => x.digest)).toEqual([digestOf("c"), digestOf("a"), digestOf("b")]);
  });

  it("parses a Docker manifest list as an index, taking the media type from Content-Type when the body has none", () => {
    const idx = {
      schemaVersion: 2,
      manifests: [{ ...d("m"), mediaType: MediaType.DockerManifest, platform: { os: "linux", architecture: "amd64" } }],
    };
    const parsed = parseManifest(bytes(idx), MediaType.DockerManifestList);
    expect(parsed).toMatchObject({ kind: "index", mediaType: MediaType.DockerManifestList });
  });

  it("rejects what a registry must not store", () => {
    const cases: [unknown, RegExp][] = [
      [{ schemaVersion: 1 }, /schemaVersion/],
      [
        { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...d("c"), digest: "sha256:zz" }, layers: [] },
        /config.digest/,
      ],
      [{ schemaVersion: 2, mediaType: MediaType.OciManifest, config: d("c") }, /layers/],
      [{ schemaVersion: 2, mediaType: MediaType.OciIndex }, /manifests/],
      [{ schemaVersion: 2, mediaType: "application/x-foo", config: d("c"), layers: [] }, /unsupported/],
    ];
    for (const [body, why] of cases) expect(() => parseManifest(bytes(body))).toThrow(why);
    expect(() => parseManifest(Buffer.from("{"))).toThrow(ManifestInvalidError);
    expect(() => parseManifest(Buffer.alloc(4 * 1024 * 1024 + 1, 32))).toThrow(/larger than/);
  });

  it("rejects a body whose mediaType contradicts its Content-Type", () => {
    const m = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: d("c"), layers: [] };
    expect(() => parseManifest(bytes(m), MediaType.DockerManifest)).toThrow(/does not match/);
  });
});
