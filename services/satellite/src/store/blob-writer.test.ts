import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DigestMismatchError, SizeMismatchError, digestOf } from "@harbor-satellite/oci";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsContentStore } from "./fs-content-store.js";
import { openTempStore } from "./test-helpers.js";

describe("blob writes", () => {
  let store: FsContentStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, dir, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  const ingest = () => readdir(join(dir, "ingest"));

  it("makes a blob visible only after commit, at its digest path", async () => {
    const data = Buffer.alloc(3 << 20, 7); // several internal buffers' worth
    const writer = await store.createBlobWriter();
    await writer.write(data.subarray(0, 1000));
    await writer.write(data.subarray(1000));
    expect(writer.written).toBe(data.length);
    expect(await store.statBlob(digestOf(data))).toBeUndefined();
    const info = await writer.commit({ digest: digestOf(data), size: data.length });
    expect(info).toEqual({ digest: digestOf(data), size: data.length });
    // Buffer.equals: a deep toEqual over megabytes is slow.
    expect((await readFile(join(dir, "blobs", "sha256", digestOf(data).slice(7)))).equals(data)).toBe(true);
    expect(await ingest()).toEqual([]);
  });

  it("rejects a digest or size mismatch and leaves nothing behind", async () => {
    const writer = await store.createBlobWriter();
    await writer.write(Buffer.from("hello"));
    await expect(writer.commit({ digest: digestOf("other") })).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await store.statBlob(digestOf("hello"))).toBeUndefined();
    const short = await store.createBlobWriter();
    await short.write(Buffer.from("hello"));
    await expect(short.commit({ digest: digestOf("hello"), size: 6 })).rejects.toBeInstanceOf(SizeMismatchError);
    expect(await store.statBlob(digestOf("hello"))).toBeUndefined();
    expect(await ingest()).toEqual([]);
    await short.abort(); // safe after a failed commit
  });

  it("lets two writers of the same digest both commit", async () => {
    const data = Buffer.from("same bytes from two replicas");
    const write = async () => {
      const w = await store.createBlobWriter();
      await w.write(data);
      return w.commit({ digest: digestOf(data) });
    };
    const [a, b] = await Promise.all([write(), write()]);
    expect(a).toEqual(b);
    expect(await store.statBlob(digestOf(data))).toEqual({ digest: digestOf(data), size: data.length });
  });

  it("takes back a failed chunk with checkpoint and rewind", async () => {
    const writer = await store.createBlobWriter();
    await writer.write(Buffer.from("good "));
    const mark = await writer.checkpoint();
    await writer.write(Buffer.from("half a chu"));
    await writer.rewind(mark);
    await writer.write(Buffer.from("data"));
    expect(writer.written).toBe(9);
    await expect(writer.commit({ digest: digestOf("good data") })).resolves.toMatchObject({ size: 9 });
  });

  it("hashes with sha512 when asked, and re-hashes when the commit names another algorithm", async () => {
    const data = Buffer.from("sha512 content");
    const w512 = await store.createBlobWriter({ algorithm: "sha512" });
    await w512.write(data);
    expect((await w512.commit({ digest: digestOf(data, "sha512") })).digest).toMatch(/^sha512:/);
    const w256 = await store.createBlobWriter();
    await w256.write(Buffer.from("other"));
    expect((await w256.commit({ digest: digestOf("other", "sha512") })).digest).toBe(digestOf("other", "sha512"));
    expect(await store.statBlob(digestOf(data, "sha512"))).toMatchObject({ size: data.length });
  });

  it("moves a temp file verified elsewhere into place without reading it again", async () => {
    const temp = await store.createTempFile();
    const { writeFile } = await import("node:fs/promises");
    await writeFile(temp.path, "from a worker");
    await expect(temp.commitVerified("sha256:not-a-digest", 13)).rejects.toThrow();
    const again = await store.createTempFile();
    await writeFile(again.path, "from a worker");
    await again.commitVerified(digestOf("from a worker"), 13);
    expect(await store.statBlob(digestOf("from a worker"))).toMatchObject({ size: 13 });
    await expect(again.commitVerified(digestOf("from a worker"), 13)).rejects.toThrow(/already committed/);
    await temp.abort();
    expect(await ingest()).toEqual([]);
  });

  it("serves ranges of a stored blob and refuses unsatisfiable ones", async () => {
    const writer = await store.createBlobWriter();
    await writer.write(Buffer.from("0123456789"));
    const { digest } = await writer.commit({ digest: digestOf("0123456789") });
    const read = async (range?: { start: number; end: number }) => {
      let out = "";
      for await (const chunk of await store.openBlob(digest, range)) out += String(chunk);
      return out;
    };
    expect(await read()).toBe("0123456789");
    expect(await read({ start: 2, end: 4 })).toBe("234");
    await expect(store.openBlob(digest, { start: 5, end: 10 })).rejects.toMatchObject({ code: "RANGE_INVALID" });
    await expect(store.openBlob(digestOf("absent"))).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  });
});
