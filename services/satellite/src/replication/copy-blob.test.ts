// The copier starts the copy threads only for an image that has a layer one will copy.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createBlobCopier, type BlobCopierOptions } from "./copy-blob.js";
import { createLimiter } from "./limiter.js";
import { createProgress } from "./progress.js";
import type { BlobWorkerPool } from "./worker-pool.js";

const MB = 1 << 20;

function copierWith(pool: Partial<BlobWorkerPool>) {
  const logger = pino({ level: "silent" });
  return createBlobCopier({
    target: {} as BlobCopierOptions["target"],
    client: {} as BlobCopierOptions["client"],
    upstream: {},
    pool: pool as BlobWorkerPool,
    limiter: createLimiter(8),
    progress: createProgress({ logger }),
    logger,
  });
}

describe("createBlobCopier warm", () => {
  it("starts the threads for an image with a layer over the on-thread limit, not for small layers", async () => {
    let warmed = 0;
    const copier = copierWith({
      onWorkerThread: (size) => size > 32 * MB,
      warm: async () => ((warmed += 1), 2),
    });
    const blob = (size: number) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: "sha256:0",
      size,
    });
    copier.warm([blob(1_000), ...Array.from({ length: 200 }, () => blob(MB))]);
    expect(warmed).toBe(0);
    copier.warm([blob(1_000), blob(32 * MB + 1)]);
    expect(warmed).toBe(1);
  });
});
