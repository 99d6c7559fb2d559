// Test doubles for the registry service's unit tests: an in-memory StatePusher that keeps what a
// registry would hold, so tests can read pushed artifacts back.
import { digestOf } from "@harbor-satellite/oci";
import type { StatePusher } from "./state-pusher.js";

export interface MemoryPusher extends StatePusher {
  blobs: Map<string, Buffer>;
  /** `<repository>:<tag>` → manifest bytes. */
  manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  /** Makes the next pushes fail like an unreachable registry until reset. */
  failWith?: Error;
}

export function createMemoryPusher(): MemoryPusher {
  const pusher: MemoryPusher = {
    blobs: new Map(),
    manifests: new Map(),
    async pushBlob(repository, bytes, digest) {
      if (pusher.failWith) throw pusher.failWith;
      if (digestOf(bytes) !== digest) throw new Error(`blob digest mismatch in ${repository}`);
      pusher.blobs.set(digest, Buffer.from(bytes));
    },
    async pushManifest(repository, tag, bytes, mediaType) {
      if (pusher.failWith) throw pusher.failWith;
      pusher.manifests.set(`${repository}:${tag}`, { bytes: Buffer.from(bytes), mediaType });
      return digestOf(bytes);
    },
    close() {},
  };
  return pusher;
}
