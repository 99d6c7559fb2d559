// @ts-check
// Writes a blob's bytes to its temp file from two preallocated buffers: one fills while the other
// is written, so the disk and the socket work at once and a copy allocates nothing per chunk. When
// both are busy the socket is paused (flow control), so memory stays at two buffers whatever the
// blob size. fdatasync runs every `syncEvery` bytes in the background, so the disk flushes while
// bytes still arrive and the final sync is short.
import { READ_BUFFER_BYTES } from "./raw-http-get.mjs";

const BATCH_BYTES = 1 << 20;
/** Buffers of finished copies kept for the next copies on this thread (two per copy). */
const FREE_MAX = 8;
/**
 * Batch buffers of sinks that finished, reused by the next sink on this thread: a thread copying
 * hundreds of small layers then allocates no new 1 MiB buffers per copy, and leaves none for V8
 * to collect (external memory it frees only at a GC, and counts against the process's RSS).
 * @type {Buffer[]}
 */
const free = [];
const takeBuffer = () => free.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);

/**
 * @param {import("node:fs/promises").FileHandle} file
 * @param {number} syncEvery
 */
export function createFileSink(file, syncEvery) {
  const buffers = [takeBuffer(), takeBuffer()];
  /** finish() handed the buffers back: nothing may be written through this sink any more. */
  let released = false;
  let current = 0;
  let fill = 0;
  let written = 0;
  let syncedAt = 0;
  /** @type {Promise<void> | undefined} */
  let writing;
  /** @type {Promise<void> | undefined} */
  let syncing;
  /** @type {Error | undefined} */
  let failure;
  /** @type {import("./raw-http-get.mjs").FlowControl | undefined} */
  let paused;

  /** Starts writing the current buffer and switches to the other one (which must be free). */
  const seal = () => {
    const data = buffers[current].subarray(0, fill);
    current ^= 1;
    fill = 0;
    writing = writeAll(file, data).then(
      () => {
        written += data.length;
        writing = undefined;
        if (!syncing && written - syncedAt >= syncEvery) {
          syncedAt = written;
          syncing = file.datasync().then(
            () => void (syncing = undefined),
            (error) => void (failure ??= error),
          );
        }
        // Keep the disk busy: a nearly full buffer goes out at once; then let the socket flow.
        if (BATCH_BYTES - fill < READ_BUFFER_BYTES) seal();
        if (paused && (!writing || BATCH_BYTES - fill >= READ_BUFFER_BYTES)) {
          paused.resume();
          paused = undefined;
        }
      },
      (error) => {
        writing = undefined;
        failure ??= error;
        // Let the socket deliver again so the next write() throws and the download stops.
        paused?.resume();
        paused = undefined;
      },
    );
  };

  return {
    /**
     * Copies `chunk` (valid only during the call) into the filling buffer.
     * @param {Buffer} chunk
     * @param {import("./raw-http-get.mjs").FlowControl} flow
     */
    write(chunk, flow) {
      if (released) throw new Error("file sink already finished");
      if (failure) throw failure;
      if (fill + chunk.length > BATCH_BYTES) seal();
      chunk.copy(buffers[current], fill);
      fill += chunk.length;
      // The next read may bring READ_BUFFER_BYTES: without room and without a free buffer to
      // switch to, stop reading until the write in flight completes.
      if (writing && BATCH_BYTES - fill < READ_BUFFER_BYTES) {
        flow.pause();
        paused = flow;
      }
    },
    /**
     * Resolves once the sink no longer holds a socket paused (its write in flight is done), so a
     * new connection's first read finds room.
     */
    async ready() {
      while (paused && writing) await writing;
    },
    /**
     * Writes what is buffered and fdatasyncs: afterwards the bytes are on disk, and the buffers
     * go back to the thread's free list (only here, with no write in flight: a failed copy's are
     * left to the GC).
     */
    async finish() {
      await this.settle();
      if (failure) throw failure;
      if (fill > 0) seal();
      await this.settle();
      if (failure) throw failure;
      await file.datasync();
      if (released) return;
      released = true;
      fill = 0;
      for (const buffer of buffers) if (free.length < FREE_MAX) free.push(buffer);
    },
    /** Waits for the write and sync in flight (after a failure too), so the file can be closed. */
    async settle() {
      while (writing || syncing) await Promise.all([writing, syncing]);
    },
  };
}

/**
 * @param {import("node:fs/promises").FileHandle} file
 * @param {Buffer} data
 */
async function writeAll(file, data) {
  let at = 0;
  while (at < data.length) at += (await file.write(data, at, data.length - at)).bytesWritten;
}
