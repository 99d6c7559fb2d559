// The original Go project's exact bytes (fixtures/original-go, made by its own libraries: see
// regenerate.sh there) against our one writer and one reader.
import { readFileSync } from "node:fs";
import { digestOf } from "@harbor-satellite/oci";
import { describe, expect, it } from "vitest";
import {
  buildStateImage,
  groupStateDocument,
  parseGroupStateDocument,
  parseSatelliteStateDocument,
  readStatePayload,
  satelliteStateDocument,
  STATE_FILE_NAME,
  tarFiles,
} from "./index.js";

interface GoArtifact {
  repository: string;
  tag?: string[];
  labels?: unknown;
  type?: string;
  digest?: string;
  deleted?: boolean;
}
interface Fixture {
  name: string;
  kind: "group" | "satellite";
  input: { group?: string; registry?: string; artifacts?: GoArtifact[]; states?: string[]; config?: string };
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  diffId: string;
}

const dir = new URL("../fixtures/original-go/", import.meta.url);
const file = (name: string) => readFileSync(new URL(name, dir));
const fixtures = JSON.parse(file("fixtures.json").toString("utf8")) as Fixture[];

/** The group or config name in a `…/<kind>-state/<name>/state:latest` URL. */
const nameIn = (url: string) => /-state\/([^/]+)\/state:latest$/.exec(url)?.[1] ?? "";

describe("state artifacts as the original Go Ground Control writes them", () => {
  it("has fixtures for group and satellite states", () => {
    expect(fixtures.map((f) => f.kind).sort()).toEqual(["group", "group", "group", "group", "satellite", "satellite"]);
  });

  describe.each(fixtures)("$name", (fixture) => {
    const doc = file(`${fixture.name}.json`);
    const manifest = file(`${fixture.name}.manifest.json`);
    const layer = file(`${fixture.name}.layer.tar.gz`);

    it("is read by our reader from the original's image bytes (manifest, gzip layer)", async () => {
      expect(digestOf(manifest)).toBe(fixture.manifestDigest);
      expect(digestOf(layer)).toBe(fixture.layerDigest);
      const payload = await readStatePayload(manifest, undefined, async (descriptor) => {
        expect(descriptor.digest).toBe(fixture.layerDigest);
        return layer;
      });
      expect(payload).toEqual(JSON.parse(doc.toString("utf8")));
      if (fixture.kind === "satellite") {
        expect(parseSatelliteStateDocument(payload)).toEqual({
          states: fixture.input.states ?? [],
          ...(fixture.input.config ? { config: fixture.input.config } : {}),
        });
        return;
      }
      const parsed = parseGroupStateDocument(payload);
      expect(parsed).toMatchObject({ group: fixture.input.group, registry: fixture.input.registry, rejected: [] });
      expect(parsed.artifacts).toEqual(
        (fixture.input.artifacts ?? []).map((a) => ({
          repository: a.repository,
          tags: a.tag ?? [],
          deleted: a.deleted === true,
          ...(a.type ? { type: a.type } : {}),
          ...(a.digest ? { digest: a.digest } : {}),
        })),
      );
    });

    it("gets the original's document bytes from our writer (the fields Ground Control writes)", () => {
      const { input } = fixture;
      const written =
        fixture.kind === "group"
          ? groupStateDocument(
              input.group ?? "",
              input.registry ?? "",
              (input.artifacts ?? []).map((a) => ({
                repository: a.repository,
                tags: a.tag ?? [],
                type: a.type,
                digest: a.digest,
              })),
            )
          : satelliteStateDocument(
              "https://harbor.example.com",
              (input.states ?? []).map((url) => ({ name: nameIn(url), digest: "" })),
              input.config ? { name: nameIn(input.config), digest: "" } : undefined,
              "original",
            );
      // labels and deleted are the original's fields Ground Control never sets (Harbor's adapter
      // may send them; it overwrites registry and keeps the rest): only that case differs.
      const setsUnwrittenFields = (input.artifacts ?? []).some((a) => a.labels !== undefined || a.deleted);
      if (setsUnwrittenFields) expect(written).not.toBe(doc.toString("utf8"));
      else expect(written).toBe(doc.toString("utf8"));
    });

    it("gets the original's tar bytes, and so its diff_id, from our tar writer", () => {
      const tar = tarFiles([{ name: STATE_FILE_NAME, content: doc }]);
      expect(tar.equals(file(`${fixture.name}.layer.tar`))).toBe(true);
      expect(buildStateImage(doc.toString("utf8")).diffId).toBe(fixture.diffId);
    });
  });
});
