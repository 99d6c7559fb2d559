// What the store remembers about a manifest without keeping its bytes: the blobs and child
// manifests it references (for presence checks and GC), its subject (for the referrers API)
// and the descriptor fields the referrers API answers with.
import { parseManifest, referencedDescriptors, type Descriptor, type ParsedManifest } from "@harbor-satellite/oci";

export interface ManifestInfo {
  readonly digest: string;
  readonly size: number;
  readonly kind: "manifest" | "index";
  /** The media type the manifest was parsed as (its own field, or the Content-Type it came with). */
  readonly mediaType: string;
  /** Config and layers of an image manifest; empty for an index. */
  readonly blobs: readonly string[];
  /** Blobs that need not be present (non-distributable layers with external URLs). */
  readonly optionalBlobs: ReadonlySet<string>;
  /** Child manifests of an index; empty for an image manifest. */
  readonly children: readonly string[];
  readonly subject?: string;
  /** As the referrers API reports it: `artifactType`, else (image manifests) the config's type. */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Parses manifest bytes (throws ManifestInvalidError) and keeps what the store needs. */
export function manifestInfo(digest: string, bytes: Uint8Array, contentType?: string): ManifestInfo {
  return infoOf(digest, bytes.byteLength, parseManifest(bytes, contentType));
}

export function infoOf(digest: string, size: number, parsed: ParsedManifest): ManifestInfo {
  const refs = referencedDescriptors(parsed);
  const base = {
    digest,
    size,
    kind: parsed.kind,
    mediaType: parsed.mediaType,
    subject: parsed.manifest.subject?.digest,
    annotations: parsed.manifest.annotations,
  };
  if (parsed.kind === "index") {
    return {
      ...base,
      blobs: [],
      optionalBlobs: new Set(),
      children: refs.map((d) => d.digest),
      artifactType: parsed.manifest.artifactType || undefined,
    };
  }
  return {
    ...base,
    blobs: refs.map((d) => d.digest),
    optionalBlobs: new Set(refs.filter(isNonDistributable).map((d) => d.digest)),
    children: [],
    artifactType: parsed.manifest.artifactType || parsed.manifest.config.mediaType,
  };
}

/**
 * Layers a registry does not have to hold: Docker foreign layers and OCI non-distributable
 * layers, which clients fetch from their `urls`.
 */
function isNonDistributable(d: Descriptor): boolean {
  return (
    d.mediaType.includes("nondistributable") ||
    d.mediaType.includes("foreign") ||
    (d.urls !== undefined && d.urls.length > 0)
  );
}

/** The descriptor the referrers API lists for a referring manifest. */
export function referrerDescriptor(info: ManifestInfo, mediaType: string): Descriptor {
  return {
    mediaType,
    digest: info.digest,
    size: info.size,
    ...(info.artifactType ? { artifactType: info.artifactType } : {}),
    ...(info.annotations ? { annotations: { ...info.annotations } } : {}),
  };
}
