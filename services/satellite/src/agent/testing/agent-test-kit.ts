// What the agent's in-process tests share: a logger whose lines they can read, publishing a state
// document into the fake registry as Ground Control or Harbor would, and waiting for a condition
// with the logs in the failure.
import { Writable } from "node:stream";
import type { FakeRegistry } from "@harbor-satellite/oci/testing";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { stateImage } from "@harbor-satellite/testkit";

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far. */
  text(): string;
}

export function captureLogs(level: "debug" | "info" = "info"): CapturedLogs {
  let text = "";
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, callback) => ((text += chunk.toString()), callback()),
  });
  return { logger: createLogger({ name: "satellite", level, destination }), text: () => text };
}

/** Stores `json` as a state artifact tagged `latest` in `repository`; returns its manifest digest. */
export function publishDocument(registry: FakeRegistry, repository: string, json: string): string {
  const image = stateImage(json);
  for (const blob of image.blobs) registry.putBlob(blob);
  return registry.putManifest(repository, "latest", image.manifest, image.mediaType);
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Called between checks instead of a 20 ms sleep (e.g. to move a fake clock). */
  advance?: () => Promise<void>;
  /** Appended to the failure (the last 3,000 characters). */
  logs?: () => string;
}

/** Resolves with the first truthy value `check` returns; throws naming `what` after the timeout. */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms\n${options.logs?.().slice(-3000) ?? ""}`);
    await (options.advance?.() ?? new Promise((resolve) => setTimeout(resolve, 20)));
  }
}
