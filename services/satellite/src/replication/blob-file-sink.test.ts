import { randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileSink } from "./blob-file-sink.mjs";
import { READ_BUFFER_BYTES } from "./raw-http-get.mjs";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sink-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A file whose writes complete only when the test says so, counting datasyncs. */
function slowFile(real: FileHandle) {
  const pending: (() => void)[] = [];
  let syncs = 0;
  const file = {
    write: async (data: Buffer, offset: number, length: number) => {
      await new Promise<void>((resolve) => pending.push(resolve));
      return real.write(data, offset, length);
    },
    datasync: async () => {
      syncs++;
      return real.datasync();
    },
  } as unknown as FileHandle;
  return {
    file,
    releaseOne: () => pending.shift()?.(),
    get waiting() {
      return pending.length;
    },
    get syncs() {
      return syncs;
    },
  };
}

describe("file sink", () => {
  it("pauses the socket while both buffers are busy, resumes when a write completes, and keeps every byte in order", async () => {
    const real = await open(join(dir, "blob"), "w");
    const slow = slowFile(real);
    const sink = createFileSink(slow.file, 1 << 20);
    const data = randomBytes(5 << 20);
    let paused = false;
    const flow = { pause: () => void (paused = true), resume: () => void (paused = false) };
    let at = 0;
    let pauses = 0;
    while (at < data.length) {
      if (paused) {
        pauses++;
        slow.releaseOne();
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const chunk = data.subarray(at, at + READ_BUFFER_BYTES);
      sink.write(Buffer.from(chunk), flow);
      at += chunk.length;
      // At most one write is ever in flight: the second buffer fills meanwhile.
      expect(slow.waiting).toBeLessThanOrEqual(1);
    }
    const done = sink.finish();
    const drain = setInterval(() => slow.releaseOne(), 1);
    await done;
    clearInterval(drain);
    await real.close();
    expect(pauses).toBeGreaterThan(0);
    expect((await readFile(join(dir, "blob"))).equals(data)).toBe(true);
    expect(slow.syncs).toBeGreaterThanOrEqual(2);
  });

  it("reports a failed write on the next write and from finish, and resumes a paused socket so it notices", async () => {
    const failing = {
      write: () => Promise.reject(Object.assign(new Error("no space"), { code: "ENOSPC" })),
      datasync: () => Promise.resolve(),
    } as unknown as FileHandle;
    const sink = createFileSink(failing, 1 << 30);
    let resumed = 0;
    const flow = { pause: () => {}, resume: () => void resumed++ };
    // Two buffers' worth: the first goes to disk, the second fills up and pauses the socket.
    for (let i = 0; i < (2 << 20) / READ_BUFFER_BYTES; i++) sink.write(Buffer.alloc(READ_BUFFER_BYTES), flow);
    await sink.settle();
    expect(resumed).toBe(1);
    expect(() => sink.write(Buffer.alloc(10), flow)).toThrow("no space");
    await expect(sink.finish()).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it("hands its buffers to the next sink once finished: copies one after another each keep their own bytes, and a finished sink refuses writes", async () => {
    const flow = { pause: () => {}, resume: () => {} };
    const blobs = [randomBytes(3 << 20), randomBytes(1 << 20), randomBytes(700_000)];
    for (const [n, data] of blobs.entries()) {
      const file = await open(join(dir, `blob${n}`), "w");
      const sink = createFileSink(file, 1 << 20);
      for (let at = 0; at < data.length; at += READ_BUFFER_BYTES) {
        sink.write(Buffer.from(data.subarray(at, at + READ_BUFFER_BYTES)), flow);
        await sink.ready();
      }
      await sink.finish();
      expect(() => sink.write(Buffer.alloc(1), flow)).toThrow("already finished");
      await sink.finish();
      await sink.settle();
      await file.close();
    }
    for (const [n, data] of blobs.entries()) expect((await readFile(join(dir, `blob${n}`))).equals(data)).toBe(true);
  });
});
