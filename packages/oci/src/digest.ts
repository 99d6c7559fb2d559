// Content digests as the OCI image spec defines them: `algorithm ":" encoded`. Only the two
// registered algorithms are accepted; anything else is rejected before it reaches a path or a hash.
import { createHash, type Hash } from "node:crypto";

export type DigestAlgorithm = "sha256" | "sha512";

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_PATTERN = /^(sha256|sha512):([a-f0-9]+)$/;

/** A digest split into its parts; `hex` is the lowercase encoded part. */
export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  readonly digest: string;
}

export class InvalidDigestError extends Error {
  constructor(readonly value: string) {
    super(`invalid digest ${JSON.stringify(value.slice(0, 200))}: want sha256:<64 hex> or sha512:<128 hex>`);
    this.name = "InvalidDigestError";
  }
}

/** Parses and validates a digest; throws InvalidDigestError. */
export function parseDigest(value: string): ParsedDigest {
  const match = DIGEST_PATTERN.exec(value);
  if (!match) throw new InvalidDigestError(value);
  const algorithm = match[1] as DigestAlgorithm;
  const hex = match[2];
  if (hex.length !== ENCODED_LENGTH[algorithm]) throw new InvalidDigestError(value);
  return { algorithm, hex, digest: value };
}

export function isDigest(value: string): boolean {
  const match = DIGEST_PATTERN.exec(value);
  return match !== null && match[2].length === ENCODED_LENGTH[match[1] as DigestAlgorithm];
}

/** Digest of bytes held in memory (manifests, configs, small artifacts). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
}

/** An incremental hasher that yields a digest string at the end. */
export interface Digester {
  update(chunk: Uint8Array): void;
  digest(): string;
}

export function createDigester(algorithm: DigestAlgorithm = "sha256"): Digester {
  const hash: Hash = createHash(algorithm);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest("hex")}`,
  };
}
