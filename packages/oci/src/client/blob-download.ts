// A blob GET that survives a broken connection: when the body stops short, the download goes on
// with `Range: bytes=<received>-` from where it stopped (up to `maxResumes` times without
// progress). The bytes of every segment flow through one VerifyingStream, so the resumed whole is
// checked against the digest and size before the stream ends.
import { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { VerifyingStream } from "../verify-stream.js";
import { header } from "./http-transport.js";
import { RegistryError, RegistryNetworkError, redactUrl } from "./registry-error.js";
import type { RegistrySession } from "./registry-session.js";
import { isRetryableNetworkError, sleep } from "./retry.js";
import { repositoryScope } from "./token-auth.js";

export interface BlobDownloadOptions {
  /** Expected size; a body ending short of it is resumed, a longer one fails. */
  size?: number;
  /** Verify digest (and size) while streaming (default true). */
  verify?: boolean;
  /** Resumes allowed in a row without new bytes (default 5). */
  maxResumes?: number;
  /** Called after each resume with the offset it resumed from (for logs and tests). */
  onResume?: (offset: number) => void;
  signal?: AbortSignal;
}

class ShortBodyError extends Error {
  readonly code = "ERR_STREAM_PREMATURE_CLOSE";
  constructor(received: number, expected: number) {
    super(`body ended at ${received} of ${expected} bytes`);
  }
}

/** Opens the blob as a Node Readable; see the module comment for resume and verification. */
export function downloadBlob(
  session: RegistrySession,
  repository: string,
  digest: string,
  options: BlobDownloadOptions = {},
): Readable {
  const raw = Readable.from(segments(session, repository, digest, options), {
    objectMode: false,
    highWaterMark: 1 << 20,
  });
  if (options.verify === false) return raw;
  const verify = new VerifyingStream({ digest, size: options.size });
  return pipeline(raw, verify, () => {}) as unknown as Readable;
}

async function* segments(
  session: RegistrySession,
  repository: string,
  digest: string,
  options: BlobDownloadOptions,
): AsyncGenerator<Buffer> {
  const path = `/v2/${repository}/blobs/${digest}`;
  const scopes = [repositoryScope(repository, ["pull"])];
  const maxResumes = options.maxResumes ?? 5;
  let offset = 0;
  let failuresInARow = 0;
  for (;;) {
    const res = await session.send({
      method: "GET",
      target: path,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      scopes,
      expect: [200, 206],
      followRedirects: true,
      signal: options.signal,
    });
    // A 206 must start where we stopped; a 200 means the server ignored Range: skip what we have.
    let skip = 0;
    if (offset > 0) {
      if (res.status === 206) {
        const start = /^bytes (\d+)-/.exec(header(res.headers, "content-range") ?? "")?.[1];
        if (Number(start) !== offset) {
          res.body.destroy();
          throw new RegistryError(206, "", `Content-Range does not start at ${offset}`, redactUrl(res.url), "GET");
        }
      } else skip = offset;
    }
    const startedAt = offset;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (skip > 0) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            continue;
          }
          const rest = chunk.subarray(skip);
          skip = 0;
          offset += rest.length;
          yield rest;
          continue;
        }
        offset += chunk.length;
        yield chunk;
      }
      if (options.size !== undefined && offset < options.size) throw new ShortBodyError(offset, options.size);
      return;
    } catch (error) {
      res.body.destroy();
      if (options.signal?.aborted) throw error;
      failuresInARow = offset > startedAt ? 1 : failuresInARow + 1;
      if (
        !(error instanceof ShortBodyError || isRetryableNetworkError(error) || isAborted(error)) ||
        failuresInARow > maxResumes
      ) {
        throw new RegistryNetworkError(redactUrl(res.url), "GET", error);
      }
      await sleep(session.retry.delayMs(failuresInARow - 1) ?? 0, options.signal);
      options.onResume?.(offset);
    }
  }
}

/** node:http reports a body cut mid-way as an "aborted" error. */
function isAborted(error: unknown): boolean {
  return (
    error instanceof Error && (error.message === "aborted" || (error as NodeJS.ErrnoException).code === "ECONNRESET")
  );
}
