// Errors of a replication pass. Each failed image carries its name and the cause (a
// RegistryError, a digest mismatch, a store error…); the CLI maps them to an exit code.

export class ImageReplicationError extends Error {
  constructor(
    /** `repository:tag` */
    readonly image: string,
    cause: unknown,
  ) {
    super(`${image}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "ImageReplicationError";
  }
}

/** An index had no child for the requested platform. */
export class PlatformNotFoundError extends Error {
  constructor(
    readonly platform: string,
    readonly digest: string,
  ) {
    super(`index ${digest} has no manifest for platform ${platform}`);
    this.name = "PlatformNotFoundError";
  }
}
