import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DirSync } from "./dir-sync.js";

/** A folder fsync the test ends by hand, recording when each one started. */
function manualSync() {
  const started: { dir: string; finish: (error?: Error) => void }[] = [];
  const syncFolder = (dir: string) =>
    new Promise<void>((resolve, reject) =>
      started.push({ dir, finish: (error) => (error ? reject(error) : resolve()) }),
    );
  return { started, syncFolder };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("DirSync", () => {
  it("gives callers that arrive during a folder fsync one shared fsync that starts after it", async () => {
    const { started, syncFolder } = manualSync();
    const dirs = new DirSync(syncFolder);
    const done: number[] = [];
    const first = dirs.sync("/blobs").then(() => done.push(0));
    const later = [1, 2, 3, 4].map((n) => dirs.sync("/blobs").then(() => done.push(n)));
    await tick();
    expect(started).toHaveLength(1);

    // The first fsync may have begun before the later renames: it releases only its own caller.
    started[0].finish();
    await first;
    await tick();
    expect(done).toEqual([0]);
    expect(started).toHaveLength(2);

    started[1].finish();
    await Promise.all(later);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(started).toHaveLength(2);
  });

  it("keeps folders apart and starts afresh once a folder is idle", async () => {
    const { started, syncFolder } = manualSync();
    const dirs = new DirSync(syncFolder);
    const a = dirs.sync("/a");
    const b = dirs.sync("/b");
    await tick();
    expect(started.map((s) => s.dir)).toEqual(["/a", "/b"]);
    for (const s of started) s.finish();
    await Promise.all([a, b]);

    const again = dirs.sync("/a");
    await tick();
    expect(started).toHaveLength(3);
    started[2].finish();
    await again;
  });

  it("fails the callers a failed fsync was for, and the next caller gets a new one", async () => {
    const { started, syncFolder } = manualSync();
    const dirs = new DirSync(syncFolder);
    const first = dirs.sync("/blobs");
    const queued = dirs.sync("/blobs");
    await tick();
    started[0].finish(Object.assign(new Error("EIO"), { code: "EIO" }));
    await expect(first).rejects.toThrow("EIO");
    await tick();
    // The queued caller's rename came after the failed fsync began: it gets its own.
    expect(started).toHaveLength(2);
    started[1].finish(new Error("EIO again"));
    await expect(queued).rejects.toThrow("EIO again");

    const later = dirs.sync("/blobs");
    await tick();
    started[2].finish();
    await expect(later).resolves.toBeUndefined();
  });

  it("fsyncs a real folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dir-sync-"));
    try {
      await writeFile(join(dir, "f"), "x");
      await Promise.all([new DirSync().sync(dir), new DirSync().sync(dir)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
