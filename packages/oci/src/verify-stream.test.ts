import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { digestOf } from "./digest.js";
import { DigestMismatchError, SizeMismatchError, VerifyingStream } from "./verify-stream.js";

async function run(data: Buffer, digest: string, size?: number): Promise<number> {
  const verify = new VerifyingStream({ digest, size });
  let written = 0;
  await pipeline(
    Readable.from([data.subarray(0, 3), data.subarray(3)]),
    verify,
    new Writable({
      write: (c, _e, cb) => {
        written += c.length;
        cb();
      },
    }),
  );
  return written;
}

describe("VerifyingStream", () => {
  const data = Buffer.from("hello, registry");

  it("passes matching content through", async () => {
    expect(await run(data, digestOf(data), data.length)).toBe(data.length);
  });

  it("fails on a digest mismatch", async () => {
    await expect(run(data, digestOf("other"), data.length)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it("fails as soon as more bytes arrive than expected, and on short content", async () => {
    await expect(run(data, digestOf(data), 4)).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(run(data, digestOf(data), data.length + 1)).rejects.toBeInstanceOf(SizeMismatchError);
  });
});
