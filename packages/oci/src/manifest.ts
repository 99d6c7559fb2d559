// Image manifests and indexes (OCI image spec, Docker schema 2): parsing with the checks a
// registry needs before it stores one, and the list of descriptors a manifest refers to.
import { isDigest } from "./digest.js";
import { isIndexMediaType, isManifestMediaType, MediaType } from "./media-types.js";

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  artifactType?: string;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A manifest or index with the media type it was stored or served under. */
export type ParsedManifest =
  | { kind: "manifest"; mediaType: string; manifest: ImageManifest }
  | { kind: "index"; mediaType: string; manifest: ImageIndex };

export class ManifestInvalidError extends Error {
  constructor(message: string) {
    super(`manifest invalid: ${message}`);
    this.name = "ManifestInvalidError";
  }
}

/** The largest manifest we accept, as distribution does (4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Parses manifest bytes. `contentType` is the Content-Type it came with; the body's own
 * `mediaType` wins when present, and the two must agree when both are set.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new ManifestInvalidError(`larger than ${MAX_MANIFEST_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    throw new ManifestInvalidError("not JSON");
  }
  if (!isObject(body)) throw new ManifestInvalidError("not a JSON object");
  if (body.schemaVersion !== 2) throw new ManifestInvalidError("schemaVersion must be 2");
  const declared = typeof body.mediaType === "string" ? body.mediaType : undefined;
  const headerType = contentType?.split(";")[0].trim() || undefined;
  if (declared && headerType && isManifestMediaType(headerType) && declared !== headerType) {
    throw new ManifestInvalidError(`mediaType ${declared} does not match Content-Type ${headerType}`);
  }
  const mediaType = declared ?? (headerType && isManifestMediaType(headerType) ? headerType : inferMediaType(body));
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(body.manifests)) throw new ManifestInvalidError("index has no manifests array");
    body.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`));
    if (body.subject !== undefined) checkDescriptor(body.subject, "subject");
    return { kind: "index", mediaType, manifest: body as unknown as ImageIndex };
  }
  if (mediaType !== MediaType.OciManifest && mediaType !== MediaType.DockerManifest) {
    throw new ManifestInvalidError(`unsupported manifest media type ${mediaType}`);
  }
  checkDescriptor(body.config, "config");
  if (!Array.isArray(body.layers)) throw new ManifestInvalidError("manifest has no layers array");
  body.layers.forEach((d, i) => checkDescriptor(d, `layers[${i}]`));
  if (body.subject !== undefined) checkDescriptor(body.subject, "subject");
  return { kind: "manifest", mediaType, manifest: body as unknown as ImageManifest };
}

/** Descriptors a manifest depends on: config and layers, or the child manifests of an index. */
export function referencedDescriptors(parsed: ParsedManifest): Descriptor[] {
  return parsed.kind === "index" ? [...parsed.manifest.manifests] : [parsed.manifest.config, ...parsed.manifest.layers];
}

function inferMediaType(body: Record<string, unknown>): string {
  return Array.isArray(body.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
}

function checkDescriptor(value: unknown, where: string): asserts value is Descriptor {
  if (!isObject(value)) throw new ManifestInvalidError(`${where} is not a descriptor`);
  if (typeof value.mediaType !== "string" || value.mediaType === "") {
    throw new ManifestInvalidError(`${where}.mediaType missing`);
  }
  if (typeof value.digest !== "string" || !isDigest(value.digest)) {
    throw new ManifestInvalidError(`${where}.digest invalid`);
  }
  if (typeof value.size !== "number" || !Number.isSafeInteger(value.size) || value.size < 0) {
    throw new ManifestInvalidError(`${where}.size invalid`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
