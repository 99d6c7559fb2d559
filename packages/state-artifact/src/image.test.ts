import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildStateImage, STATE_FILE_NAME } from "./image.js";
import { readTarEntry } from "./tar.js";

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("state artifact image", () => {
  const json = JSON.stringify({
    group: "edge",
    registry: "http://harbor.local",
    artifacts: [{ repository: "library/nginx", tag: ["1.27"], type: "image" }],
  });
  const image = buildStateImage(json);

  it("is a Docker schema 2 manifest with a Docker config and one gzip layer", () => {
    const manifest = JSON.parse(image.manifest.toString("utf8"));
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: {
        mediaType: "application/vnd.docker.container.image.v1+json",
        size: image.config.bytes.length,
        digest: sha256(image.config.bytes),
      },
      layers: [
        {
          mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
          size: image.layer.bytes.length,
          digest: sha256(image.layer.bytes),
        },
      ],
    });
    expect(image.digest).toBe(sha256(image.manifest));
  });

  it("holds artifacts.json as the single tar entry, and the config's diff_id is the tar's digest", () => {
    const tar = gunzipSync(image.layer.bytes);
    expect(readTarEntry(tar, STATE_FILE_NAME)?.toString("utf8")).toBe(json);
    // one entry: its header, its content padded to a block, the two-block trailer
    expect(tar.length).toBe(512 + Math.ceil(Buffer.byteLength(json) / 512) * 512 + 1024);
    const config = JSON.parse(image.config.bytes.toString("utf8"));
    expect(config.rootfs).toEqual({ type: "layers", diff_ids: [sha256(tar)] });
    expect(image.diffId).toBe(sha256(tar));
  });

  it("writes a valid ustar header (checksum, size, regular file) that tar readers accept", () => {
    const tar = gunzipSync(image.layer.bytes);
    const header = tar.subarray(0, 512);
    const stored = parseInt(header.subarray(148, 156).toString("ascii"), 8);
    const blanked = Buffer.from(header);
    blanked.fill(0x20, 148, 156);
    expect(stored).toBe(blanked.reduce((a, b) => a + b, 0));
    expect(parseInt(header.subarray(124, 136).toString("ascii"), 8)).toBe(Buffer.byteLength(json));
    expect(String.fromCharCode(header[156])).toBe("0");
    expect(header.subarray(257, 263).toString("latin1")).toBe("ustar\0");
    expect(tar.length % 512).toBe(0);
  });

  it("is deterministic: the same state gives the same digest, another state another digest", () => {
    expect(buildStateImage(json).digest).toBe(image.digest);
    expect(buildStateImage(json.replace("1.27", "1.28")).digest).not.toBe(image.digest);
  });
});
