import { gzipSync } from "node:zlib";
import { digestOf, MediaType } from "@harbor-satellite/oci";
import { describe, expect, it } from "vitest";
import { payloadFromLayer, readStatePayload, StatePayloadError } from "./payload.js";
import { readTarEntry, TarFormatError } from "./tar.js";
import { craneStateImage, paxPathRecord, stateImage, tarHeader, tarOf } from "@harbor-satellite/testkit";

const doc = { group: "g", artifacts: [] };
const json = Buffer.from(JSON.stringify(doc));

describe("tar entries", () => {
  it("finds the entry in what Go's archive/tar writes (typeflag 0 or NUL, ./ prefix)", () => {
    expect(readTarEntry(tarOf([{ name: "artifacts.json", content: json }]), "artifacts.json")).toEqual(json);
    expect(
      readTarEntry(tarOf([{ name: "./artifacts.json", content: json, typeflag: "\0" }]), "artifacts.json"),
    ).toEqual(json);
  });

  it("follows PAX path records and GNU long names, and keeps the last copy", () => {
    const long = `${"d/".repeat(60)}artifacts.json`;
    const pax = tarOf([
      { name: "PaxHeader", content: paxPathRecord("artifacts.json"), typeflag: "x" },
      { name: "ignored-short-name", content: json },
    ]);
    expect(readTarEntry(pax, "artifacts.json")).toEqual(json);
    const gnu = tarOf([
      { name: "././@LongLink", content: Buffer.from(`${long}\0`), typeflag: "L" },
      { name: long.slice(0, 99), content: json },
    ]);
    expect(readTarEntry(gnu, long)).toEqual(json);
    const twice = tarOf([
      { name: "artifacts.json", content: Buffer.from("{}") },
      { name: "other", content: Buffer.from("x") },
      { name: "artifacts.json", content: json },
    ]);
    expect(readTarEntry(twice, "artifacts.json")).toEqual(json);
  });

  it("refuses a corrupt header and a truncated entry", () => {
    const tar = tarOf([{ name: "artifacts.json", content: json }]);
    const bad = Buffer.from(tar);
    bad[10] ^= 0xff;
    expect(() => readTarEntry(bad, "artifacts.json")).toThrow(TarFormatError);
    expect(() => readTarEntry(Buffer.concat([tarHeader("artifacts.json", 4096), json]), "artifacts.json")).toThrow(
      TarFormatError,
    );
  });
});

describe("state payload", () => {
  it("reads gzip(tar), tar and raw JSON layers", () => {
    const tar = tarOf([{ name: "artifacts.json", content: json }]);
    expect(payloadFromLayer(gzipSync(tar))).toEqual(doc);
    expect(payloadFromLayer(tar)).toEqual(doc);
    expect(payloadFromLayer(json)).toEqual(doc);
    expect(payloadFromLayer(tarOf([{ name: "other.json", content: json }]))).toBeUndefined();
  });

  it("reads each test layout through its manifest", async () => {
    for (const layout of ["crane", "tar", "oci-artifact"] as const) {
      const img = stateImage(JSON.stringify(doc), layout);
      const blobs = new Map(img.blobs.map((b) => [digestOf(b), b]));
      expect(
        await readStatePayload(img.manifest, img.mediaType, async (layer) => blobs.get(layer.digest)!),
        layout,
      ).toEqual(doc);
    }
  });

  it("matches the original's layout: Docker manifest, config diff_ids = sha256 of the tar", () => {
    const tar = tarOf([{ name: "artifacts.json", content: json }]);
    const img = craneStateImage(JSON.stringify(doc), tar);
    const manifest = JSON.parse(img.manifest.toString());
    expect(manifest.mediaType).toBe(MediaType.DockerManifest);
    expect(manifest.layers).toHaveLength(1);
    expect(JSON.parse(img.blobs[0].toString()).rootfs.diff_ids).toEqual([digestOf(tar)]);
  });

  it("refuses an index and a manifest whose layers hold no document", async () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));
    await expect(readStatePayload(index, MediaType.OciIndex, async () => Buffer.alloc(0))).rejects.toThrow(
      StatePayloadError,
    );
    const img = stateImage("not json", "oci-artifact");
    await expect(readStatePayload(img.manifest, img.mediaType, async () => Buffer.from("not json"))).rejects.toThrow(
      /no artifacts.json/,
    );
  });
});
