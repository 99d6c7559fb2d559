// Whatever the writer writes, the reader reads back unchanged: documents through the image
// (gzip tar layer, manifest), as a satellite fetches them from Ground Control.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildStateImage,
  groupStateDocument,
  parseGroupStateDocument,
  parseSatelliteStateDocument,
  pinnedStateUrl,
  readStatePayload,
  satelliteStateDocument,
  type StateArtifactEntry,
} from "./index.js";

async function throughImage(json: string): Promise<unknown> {
  const image = buildStateImage(json);
  return readStatePayload(image.manifest, image.mediaType, async (layer) => {
    expect(layer.digest).toBe(image.layer.digest);
    return image.layer.bytes;
  });
}

const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/).filter((s) => s.length <= 30);
const repository = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);
const artifact: fc.Arbitrary<StateArtifactEntry> = fc.record(
  {
    repository,
    tags: fc.uniqueArray(tag, { maxLength: 4 }),
    digest,
    type: fc.constantFrom("IMAGE", "CHART", "image"),
  },
  { requiredKeys: ["repository", "tags"] },
);
// Names and URLs with characters Go's encoder escapes (<, >, &, U+2028) and any Unicode.
const anyText = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });
const registry = fc.oneof(
  fc.webUrl(),
  anyText.map((t) => `https://h.example/${t}`),
);

describe("state artifacts round-trip through the one writer and the one reader", () => {
  it("group states", async () => {
    await fc.assert(
      fc.asyncProperty(anyText, registry, fc.array(artifact, { maxLength: 6 }), async (group, url, artifacts) => {
        const parsed = parseGroupStateDocument(await throughImage(groupStateDocument(group, url, artifacts)));
        expect(parsed).toEqual({
          group,
          registry: url.replace(/\/+$/, "").trim(),
          rejected: [],
          artifacts: artifacts.map((a) => ({
            repository: a.repository,
            tags: [...a.tags],
            deleted: false,
            ...(a.type ? { type: a.type } : {}),
            ...(a.digest ? { digest: a.digest } : {}),
          })),
        });
      }),
      { numRuns: 200 },
    );
  });

  it("satellite states, pinned and in the original form", async () => {
    const pinned = fc.record({ name: component, digest });
    await fc.assert(
      fc.asyncProperty(
        fc.webUrl(),
        fc.uniqueArray(pinned, { maxLength: 5, selector: (p) => p.name }),
        fc.option(pinned, { nil: undefined }),
        async (harbor, groups, config) => {
          const base = harbor.replace(/\/+$/, "");
          const doc = parseSatelliteStateDocument(await throughImage(satelliteStateDocument(harbor, groups, config)));
          expect(doc.states).toEqual(groups.map((g) => pinnedStateUrl(base, "group", g.name, g.digest)));
          expect(doc.config).toBe(config ? pinnedStateUrl(base, "config", config.name, config.digest) : undefined);
          const original = parseSatelliteStateDocument(
            await throughImage(satelliteStateDocument(harbor, groups, config, "original")),
          );
          expect(original.states).toEqual(groups.map((g) => `${base}/satellite/group-state/${g.name}/state:latest`));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the same document gives the same image digest (no timestamps anywhere)", () => {
    fc.assert(
      fc.property(anyText, (group) => {
        const json = groupStateDocument(group, "https://h", []);
        expect(buildStateImage(json).digest).toBe(buildStateImage(json).digest);
      }),
    );
  });
});
