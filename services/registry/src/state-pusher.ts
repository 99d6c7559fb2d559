// The two registry calls a state publish needs, behind a narrow interface so the service can be
// tested without a registry. The production implementation is the shared OCI registry client
// (packages/oci), authenticated as Ground Control's Harbor account.
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";

export interface StatePusher {
  /** Uploads a blob unless the repository already has it. */
  pushBlob(repository: string, bytes: Uint8Array, digest: string): Promise<void>;
  /** Puts a manifest under a tag; returns its digest. */
  pushManifest(repository: string, tag: string, bytes: Uint8Array, mediaType: string): Promise<string>;
  /** Releases pooled connections. */
  close(): void;
}

export interface OciStatePusherOptions {
  /** Harbor's URL; its scheme decides plain HTTP or TLS, as in the original. */
  url: string;
  username: string;
  password: string;
}

export function createOciStatePusher(options: OciStatePusherOptions): StatePusher {
  // Few attempts: the outbox retries whole publishes with its own (longer) backoff.
  const client: RegistryClient = createRegistryClient({
    url: options.url,
    credentials: { username: options.username, password: options.password },
    retry: { attempts: 3 },
    maxSockets: 4,
  });
  return {
    async pushBlob(repository, bytes, digest) {
      await client.pushBlob(repository, bytes, { digest });
    },
    pushManifest: (repository, tag, bytes, mediaType) => client.pushManifest(repository, tag, bytes, mediaType),
    close: () => client.close(),
  };
}
