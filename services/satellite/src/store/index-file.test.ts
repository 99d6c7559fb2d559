import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexFile } from "./index-file.js";
import { tempDir } from "./test-helpers.js";

describe("index.json group commit", () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it("shares writes among concurrent callers, and each sees its own change on disk", async () => {
    let state = 0;
    let snapshots = 0;
    const file = new IndexFile(join(dir, "index.json"), dir, () => (snapshots++, String(state)));
    const calls = Array.from({ length: 20 }, async (_, i) => {
      state = i + 1;
      const mine = state;
      await file.persist();
      return Number(await readFile(join(dir, "index.json"), "utf8")) >= mine;
    });
    expect(await Promise.all(calls)).toEqual(Array(20).fill(true));
    expect(snapshots).toBeLessThanOrEqual(2);
    expect(await readFile(join(dir, "index.json"), "utf8")).toBe("20");
    expect((await readdir(dir)).filter((n) => n.startsWith("atomic-"))).toEqual([]);
  });

  it("reports a failed write, and a later persist writes the full state", async () => {
    const target = join(dir, "later", "index.json");
    const file = new IndexFile(target, dir, () => "state");
    await expect(file.persist()).rejects.toThrow(/ENOENT/);
    await mkdir(join(dir, "later"));
    await file.persist();
    expect(await readFile(target, "utf8")).toBe("state");
  });

  it("does not rewrite a state already on disk", async () => {
    const file = new IndexFile(join(dir, "index.json"), dir, () => "same");
    file.markWritten("same");
    await file.persist();
    await expect(readFile(join(dir, "index.json"))).rejects.toThrow(/ENOENT/);
  });
});
