import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openContentStore } from "./open-store.js";
import { partialDigestOf, partialFileName } from "./partial-blobs.js";
import { tempDir, writeBlob } from "./test-helpers.js";
import { verifyStore } from "./verify.js";

const blob = Buffer.alloc(300_000, 7);
const digest = digestOf(blob);
const hex = digest.slice("sha256:".length);

describe("kept partial files (paused layer copies) at start-up", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it("names a partial file by its digest, and reads only such names back", () => {
    expect(partialFileName(digest)).toBe(`partial-sha256-${hex}`);
    expect(partialDigestOf(`partial-sha256-${hex}`)).toBe(digest);
    expect(partialDigestOf(`partial-sha512-${"a".repeat(128)}`)).toBe(`sha512:${"a".repeat(128)}`);
    for (const name of [
      `temp-${hex}`,
      `partial-sha256-${hex.slice(1)}`,
      `partial-sha256-${hex.toUpperCase()}`,
      `partial-md5-${"a".repeat(32)}`,
      `partial-sha256${hex}`,
      "partial-",
      `partial-sha256-${hex}.tmp`,
    ])
      expect(partialDigestOf(name), name).toBeUndefined();
  });

  it("keeps partials of blobs not stored and removes every other leftover", async () => {
    const stored = Buffer.from("a blob that is already stored");
    let store = await openContentStore({ root: dir });
    await writeBlob(store, stored);
    await store.close();
    const ingest = join(dir, "ingest");
    const other = `sha256:${"b".repeat(64)}`;
    await writeFile(join(ingest, partialFileName(digest)), blob.subarray(0, 100_000));
    await writeFile(join(ingest, partialFileName(other)), Buffer.alloc(10, 1));
    // Leftovers of unknown state, as today: a temp file, a writer's file, an atomic write, an upload.
    await writeFile(join(ingest, `temp-${"c".repeat(24)}`), blob.subarray(0, 5000));
    await writeFile(join(ingest, `blob-${"d".repeat(24)}`), "half");
    await writeFile(join(ingest, "atomic-0123456789ab"), "{}");
    await mkdir(join(ingest, `upload-${"e".repeat(24)}`));
    // Partial names that do not qualify: empty, a directory, a bad digest, a blob already stored.
    await writeFile(join(ingest, partialFileName(`sha256:${"f".repeat(64)}`)), "");
    await mkdir(join(ingest, partialFileName(`sha256:${"0".repeat(64)}`)));
    await writeFile(join(ingest, `partial-sha256-${"1".repeat(63)}`), "x");
    await writeFile(join(ingest, partialFileName(digestOf(stored))), stored.subarray(0, 4));

    store = await openContentStore({ root: dir });
    expect((await readdir(ingest)).sort()).toEqual([partialFileName(digest), partialFileName(other)].sort());
    const kept = await store.keptPartials();
    expect(kept.map((p) => ({ digest: p.digest, bytes: p.bytes })).sort((a, b) => a.bytes - b.bytes)).toEqual([
      { digest: other, bytes: 10 },
      { digest, bytes: 100_000 },
    ]);
    await store.close();
    // A kept partial is never a blob: the store still verifies, and the digest is not served.
    expect((await verifyStore(dir)).ok).toBe(true);
    store = await openContentStore({ root: dir });
    expect(await store.statBlob(digest)).toBeUndefined();
    await store.close();
  });

  it("keepPartial renames a paused copy's temp file under its digest; the file resumes and commits", async () => {
    const store = await openContentStore({ root: dir });
    try {
      const temp = await store.createTempFile();
      await writeFile(temp.path, blob.subarray(0, 120_000));
      const kept = await store.keepPartial(temp, digest);
      expect(kept.path).toBe(join(dir, "ingest", partialFileName(digest)));
      await expect(stat(temp.path)).rejects.toThrow();
      // Keeping it again (a resumed copy paused once more) leaves it where it is.
      expect((await store.keepPartial(kept, digest)).path).toBe(kept.path);
      const [again] = await store.keptPartials();
      expect(again).toMatchObject({ digest, bytes: 120_000 });
      await writeFile(again.temp.path, blob.subarray(120_000), { flag: "a" });
      await again.temp.commitVerified(digest, blob.length);
      expect(await store.statBlob(digest)).toEqual({ digest, size: blob.length });
      expect(await readdir(join(dir, "ingest"))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
