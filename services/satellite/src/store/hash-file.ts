// Re-hashing a stored file: what verify and the background scrub do, never the serving path.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { DigestAlgorithm } from "@harbor-satellite/oci";

export interface HashFileOptions {
  signal?: AbortSignal;
  /** Called after each chunk; the scrub sleeps here to stay under its byte rate. */
  onChunk?: (bytes: number) => Promise<void> | void;
}

/** The digest of a file's content, read in 1 MiB chunks. */
export async function hashFile(
  path: string,
  algorithm: DigestAlgorithm,
  options: HashFileOptions = {},
): Promise<string> {
  const hash = createHash(algorithm);
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal: options.signal });
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    await options.onChunk?.((chunk as Buffer).length);
  }
  return `${algorithm}:${hash.digest("hex")}`;
}
