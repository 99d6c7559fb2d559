// Sends a byte range of an open file as a response body, with the least CPU per byte Node
// allows without sendfile: two large buffers, the next read from the page cache running while
// the previous buffer is being written to the socket. A buffer is refilled only after the
// socket has reported its write done, so bytes on the wire are never overwritten in flight.
// Measured on the 2-core machine (100 MB blob, curl, bench/serve/blob-mbps.ts): 0.36–0.42 s of
// server CPU per GB, against 0.7–1.0 for fs.createReadStream piped into the response and
// 0.43–0.57 for docker-registry. 4 MiB chunks beat 1 MiB (more syscalls) and 8 MiB (no gain).
import type { FileHandle } from "node:fs/promises";
import type { ServerResponse } from "node:http";

export const SEND_CHUNK = 4 << 20;

/** Resolves when [start, end] (inclusive) has been handed to the socket, or the client left. */
export async function sendFileRange(
  res: ServerResponse,
  handle: FileHandle,
  start: number,
  end: number,
): Promise<void> {
  const length = end - start + 1;
  const size = Math.min(SEND_CHUNK, length);
  const buffers =
    length > size ? [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)] : [Buffer.allocUnsafeSlow(size)];
  const released: Promise<void>[] = buffers.map(() => Promise.resolve());
  // A reset or EPIPE while writing surfaces as 'error' on the response: handled as "client gone".
  res.on("error", () => {});
  const gone = new Promise<void>((resolve) => res.once("close", resolve));
  let closed = false;
  void gone.then(() => (closed = true));
  let position = start;
  let i = 0;
  while (position <= end && !closed) {
    // Wait until the socket is done with this buffer (or the client is gone).
    await Promise.race([released[i], gone]);
    if (closed) break;
    const buffer = buffers[i];
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position + 1), position);
    if (bytesRead === 0) throw new Error(`file ended at ${position}, before byte ${end}`);
    if (res.destroyed) break;
    position += bytesRead;
    released[i] = new Promise<void>((resolve) => res.write(buffer.subarray(0, bytesRead), () => resolve()));
    i = (i + 1) % buffers.length;
  }
  if (!closed) res.end();
}
