// A Writable onto an open file that batches buffered chunks into one writev and fdatasyncs before
// it finishes, so "finish" means "on disk". (fs.WriteStream with autoClose:false never emits
// "close", which stream.pipeline waits for; this sink leaves closing to its owner instead.)
import type { FileHandle } from "node:fs/promises";
import { Writable } from "node:stream";

export class SyncedFileSink extends Writable {
  bytes = 0;

  constructor(private readonly file: FileHandle, highWaterMark = 1 << 20) {
    super({ highWaterMark, decodeStrings: true });
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.file.datasync().then(() => callback(), callback);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.file.writev(pending);
      this.bytes += bytesWritten;
      pending = dropWritten(pending, bytesWritten);
    }
  }
}

/** The buffers left after `n` bytes of them were written (writev may write less than asked). */
function dropWritten(buffers: Buffer[], n: number): Buffer[] {
  let left = n;
  let i = 0;
  while (i < buffers.length && left >= buffers[i].length) left -= buffers[i++].length;
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = rest[0].subarray(left);
  return rest;
}
