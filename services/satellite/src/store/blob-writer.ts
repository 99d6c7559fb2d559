// A blob being written: bytes go to a temp file in ingest/ and through a hash at the same time;
// commit checks digest and size, fsyncs, and hands the file to BlobFiles to rename into place.
// Small writes are gathered into 1 MiB before they reach the disk. A checkpoint remembers the
// length and the hash state so a failed chunk (a truncated PATCH) can be taken back.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm, type FileHandle } from "node:fs/promises";
import { DigestMismatchError, SizeMismatchError, parseDigest, type DigestAlgorithm } from "@harbor-satellite/oci";
import type { BlobInfo, BlobWriter } from "./content-store.js";

const BUFFER_SIZE = 1 << 20;

/** Where a writer was; see ResumableBlobWriter.rewind. */
export interface WriterCheckpoint {
  readonly written: number;
  readonly hash: Hash;
}

/** A BlobWriter the registry's upload sessions can take a failed chunk back from. */
export interface ResumableBlobWriter extends BlobWriter {
  readonly algorithm: DigestAlgorithm;
  /** Flushes and remembers the current length and hash state. */
  checkpoint(): Promise<WriterCheckpoint>;
  /** Drops everything written after `checkpoint`. */
  rewind(checkpoint: WriterCheckpoint): Promise<void>;
}

export type InstallBlob = (tempPath: string, digest: string, size: number) => Promise<BlobInfo>;

export class FsBlobWriter implements ResumableBlobWriter {
  written = 0;
  private hash: Hash;
  private buffer: Buffer | undefined = Buffer.allocUnsafe(BUFFER_SIZE);
  private buffered = 0;
  /** Bytes already on disk (the buffer holds the rest). */
  private flushed = 0;
  private closed = false;
  /** Serialises calls, so a caller that forgets to await cannot interleave writes. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handle: FileHandle,
    readonly tempPath: string,
    readonly algorithm: DigestAlgorithm,
    private readonly install: InstallBlob,
    private readonly onDone: () => void = () => {},
  ) {
    this.hash = createHash(algorithm);
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.serial(async () => {
      this.assertOpen();
      this.hash.update(chunk);
      this.written += chunk.byteLength;
      const buffer = this.buffer as Buffer;
      if (this.buffered + chunk.byteLength > buffer.length) await this.flush();
      if (chunk.byteLength >= buffer.length) {
        await this.writeAt(chunk, this.flushed);
        this.flushed += chunk.byteLength;
      } else {
        buffer.set(chunk, this.buffered);
        this.buffered += chunk.byteLength;
      }
    });
  }

  checkpoint(): Promise<WriterCheckpoint> {
    return this.serial(async () => {
      this.assertOpen();
      await this.flush();
      return { written: this.written, hash: this.hash.copy() };
    });
  }

  rewind(checkpoint: WriterCheckpoint): Promise<void> {
    return this.serial(async () => {
      this.assertOpen();
      await this.flush();
      await this.handle.truncate(checkpoint.written);
      this.written = this.flushed = checkpoint.written;
      this.hash = checkpoint.hash.copy();
    });
  }

  commit(expected: { digest: string; size?: number }): Promise<BlobInfo> {
    return this.serial(async () => {
      this.assertOpen();
      try {
        const wanted = parseDigest(expected.digest);
        if (expected.size !== undefined && expected.size !== this.written)
          throw new SizeMismatchError(expected.size, this.written);
        await this.flush();
        const actual =
          wanted.algorithm === this.algorithm
            ? `${this.algorithm}:${this.hash.digest("hex")}`
            : await this.rehash(wanted.algorithm);
        if (actual !== expected.digest) throw new DigestMismatchError(expected.digest, actual);
        await this.handle.sync();
        await this.close();
        return await this.install(this.tempPath, expected.digest, this.written);
      } catch (error) {
        await this.discard();
        throw error;
      }
    });
  }

  abort(): Promise<void> {
    return this.serial(() => this.discard());
  }

  private async discard(): Promise<void> {
    if (!this.closed) await this.close();
    await rm(this.tempPath, { force: true });
  }

  private async close(): Promise<void> {
    this.closed = true;
    this.buffer = undefined;
    this.onDone();
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0 || !this.buffer) return;
    await this.writeAt(this.buffer.subarray(0, this.buffered), this.flushed);
    this.flushed += this.buffered;
    this.buffered = 0;
  }

  private async writeAt(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.handle.write(data, done, data.byteLength - done, position + done);
      done += bytesWritten;
    }
  }

  /** The digest was asked in another algorithm than the one we hashed with: read the file again. */
  private async rehash(algorithm: DigestAlgorithm): Promise<string> {
    const hash = createHash(algorithm);
    for await (const chunk of createReadStream(this.tempPath, { highWaterMark: BUFFER_SIZE }))
      hash.update(chunk as Buffer);
    return `${algorithm}:${hash.digest("hex")}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("blob writer already committed or aborted");
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
