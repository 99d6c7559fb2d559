// Background scrub: re-hashes every blob slowly (bytes per second capped, so pulls keep the
// disk) and quarantines any whose bytes no longer match their name. Serving never re-hashes,
// so this is how bit rot is found; the replication engine then sees the blob missing and
// fetches it again.
import { setTimeout as sleep } from "node:timers/promises";
import { parseDigest } from "@harbor-satellite/oci";
import type { Logger } from "pino";
import type { BlobFiles } from "./blob-files.js";
import { byteRateLimiter } from "./byte-rate.js";
import { hashFile } from "./hash-file.js";
import type { ScrubOptions } from "./serving-store.js";

export interface ScrubPass {
  checked: number;
  /** Bytes read and hashed. */
  bytes: number;
  quarantined: string[];
}

export interface ScrubPassOptions {
  bytesPerSecond: number;
  /** Called after each chunk read (metrics count scrub reads as they happen). */
  onBytes?: (bytes: number) => void;
}

export class Scrubber {
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly files: BlobFiles,
    private readonly quarantine: (digest: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(options: ScrubOptions): void {
    if (this.loop) return;
    const controller = (this.controller = new AbortController());
    this.loop = this.run(options, controller.signal).catch((error: unknown) => {
      if (!controller.signal.aborted) this.logger.warn({ err: error }, "scrub stopped");
    });
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
  }

  /** One pass over every blob; also what the loop runs. */
  async pass(options: ScrubPassOptions, signal?: AbortSignal): Promise<ScrubPass> {
    const result: ScrubPass = { checked: 0, bytes: 0, quarantined: [] };
    const limit = byteRateLimiter({ bytesPerSecond: options.bytesPerSecond, signal });
    const throttle = async (bytes: number) => {
      result.bytes += bytes;
      options.onBytes?.(bytes);
      await limit(bytes);
    };
    for (const digest of await this.files.list()) {
      signal?.throwIfAborted();
      let actual: string;
      try {
        actual = await hashFile(this.files.path(digest), parseDigest(digest).algorithm, { signal, onChunk: throttle });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // collected meanwhile
        throw error;
      }
      result.checked++;
      if (actual !== digest) {
        try {
          await this.quarantine(digest);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // collected since it was read
          throw error;
        }
        this.logger.warn({ digest, actual }, "scrub: blob does not match its digest; quarantined");
        result.quarantined.push(digest);
      }
    }
    return result;
  }

  private async run(options: ScrubOptions, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = Date.now();
      const pass = await this.pass(options, signal);
      this.logger.info(
        { checked: pass.checked, quarantined: pass.quarantined.length, ms: Date.now() - started },
        "scrub pass done",
      );
      await sleep(options.intervalMs, undefined, { signal });
    }
  }
}
