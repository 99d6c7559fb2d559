// A pass-through stream that hashes and counts what flows and fails before its end when the
// bytes do not match the expected digest or size. Reading stops at the expected size, so a
// lying server cannot make us write more than we asked for.
import { Transform, type TransformCallback } from "node:stream";
import { createDigester, parseDigest, type Digester } from "./digest.js";

export class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
    this.name = "DigestMismatchError";
  }
}

export class SizeMismatchError extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`size mismatch: expected ${expected} bytes, got ${actual}${actual > expected ? "+" : ""}`);
    this.name = "SizeMismatchError";
  }
}

export interface VerifyOptions {
  /** Expected digest; its algorithm picks the hash. */
  digest: string;
  /** Expected size in bytes, when known. */
  size?: number;
}

/** A Transform that verifies digest (and size) while streaming; `bytes` counts what passed. */
export class VerifyingStream extends Transform {
  bytes = 0;
  private readonly digester: Digester;

  constructor(private readonly options: VerifyOptions) {
    super();
    this.digester = createDigester(parseDigest(options.digest).algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const expected = this.options.size;
    if (expected !== undefined && this.bytes + chunk.length > expected) {
      callback(new SizeMismatchError(expected, this.bytes + chunk.length));
      return;
    }
    this.bytes += chunk.length;
    this.digester.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const expected = this.options.size;
    if (expected !== undefined && this.bytes !== expected) {
      callback(new SizeMismatchError(expected, this.bytes));
      return;
    }
    const actual = this.digester.digest();
    callback(actual === this.options.digest ? null : new DigestMismatchError(this.options.digest, actual));
  }
}
