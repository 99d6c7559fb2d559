import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OWNED_IMAGES_FILE, readOwnedImages, writeOwnedImages } from "./owned-images.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "owned-"));
  await mkdir(join(root, "ingest"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const d = `sha256:${"b".repeat(64)}`;

describe("owned images file", () => {
  it("is empty before the first pass and round-trips what a pass wrote", async () => {
    expect(await readOwnedImages(root)).toEqual([]);
    const images = [{ repository: "lib/app", tag: "v1", digest: d, sourceDigest: d }];
    await writeOwnedImages(root, images);
    expect(await readOwnedImages(root)).toEqual(images);
    expect(JSON.parse(await readFile(join(root, OWNED_IMAGES_FILE), "utf8")).version).toBe(1);
  });
  it("skips entries that are not valid images and refuses an unknown format", async () => {
    await writeFile(
      join(root, OWNED_IMAGES_FILE),
      JSON.stringify({
        version: 1,
        images: [
          { repository: "../x", tag: "1", digest: d, sourceDigest: d },
          { repository: "ok", tag: "1", digest: d, sourceDigest: d },
        ],
      }),
    );
    expect((await readOwnedImages(root)).map((i) => i.repository)).toEqual(["ok"]);
    await writeFile(join(root, OWNED_IMAGES_FILE), JSON.stringify({ version: 7 }));
    await expect(readOwnedImages(root)).rejects.toThrow(/unknown format/);
  });
});
