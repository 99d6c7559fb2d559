// Builds state artifacts for tests exactly as the original Ground Control pushes them
// (`crane.Image(map{"artifacts.json": json})`: Docker schema 2 manifest, Docker config whose
// rootfs.diff_ids names the layer, one gzip(tar) layer whose tar header carries only name and
// size, as Go's archive/tar writes it), plus the other layouts the reader accepts, and pushes
// them to any registry through the project's registry client.
import { gzipSync } from "node:zlib";
import { createRegistryClient, digestOf, MediaType, type Credentials } from "@harbor-satellite/oci";
import { TAR_TRAILER, tarHeader, tarPadding } from "./tar.js";

export interface StateArtifactImage {
  manifest: Buffer;
  mediaType: string;
  digest: string;
  blobs: Buffer[];
}

export type StateLayout = "crane" | "tar" | "oci-artifact";

/** One entry's header as Go's archive/tar writes `tar.Header{Name, Size}` (mode 0, no times). */
const goHeader = (name: string, size: number, typeflag = "0") =>
  tarHeader(name.slice(0, 100), size, { mode: 0, typeflag });

/** A tar of the given entries; `pax` entries are PAX extended headers naming the next entry. */
export function tarOf(entries: { name: string; content: Buffer; typeflag?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries)
    parts.push(
      goHeader(entry.name, entry.content.length, entry.typeflag),
      entry.content,
      tarPadding(entry.content.length),
    );
  parts.push(TAR_TRAILER);
  return Buffer.concat(parts);
}

/** A PAX record `"<len> path=<name>\n"`. */
export function paxPathRecord(name: string): Buffer {
  const body = ` path=${name}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.from(`${length}${body}`);
}

interface Part {
  mediaType: string;
  bytes: Buffer;
}

const descriptor = (part: Part) => ({
  mediaType: part.mediaType,
  size: part.bytes.length,
  digest: digestOf(part.bytes),
});

/** A one-layer image manifest (with `extra` fields such as artifactType) and its blobs. */
function image(mediaType: string, config: Part, layer: Part, extra: object = {}): StateArtifactImage {
  const manifest = { schemaVersion: 2, mediaType, ...extra, config: descriptor(config), layers: [descriptor(layer)] };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { manifest: bytes, mediaType, digest: digestOf(bytes), blobs: [config.bytes, layer.bytes] };
}

/** The original's layout. `tar` lets a test pass its own archive (long names, PAX). */
export function craneStateImage(
  json: string,
  tar = tarOf([{ name: "artifacts.json", content: Buffer.from(json) }]),
): StateArtifactImage {
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "",
      os: "",
      config: {},
      rootfs: { type: "layers", diff_ids: [digestOf(tar)] },
      history: [{ created: "0001-01-01T00:00:00Z" }],
    }),
  );
  return image(
    MediaType.DockerManifest,
    { mediaType: MediaType.DockerConfig, bytes: config },
    { mediaType: MediaType.DockerLayerGzip, bytes: layer },
  );
}

export function stateImage(json: string, layout: StateLayout = "crane"): StateArtifactImage {
  if (layout === "crane") return craneStateImage(json);
  if (layout === "tar") {
    const tar = tarOf([{ name: "./artifacts.json", content: Buffer.from(json) }]);
    const config = Buffer.from(JSON.stringify({ rootfs: { type: "layers", diff_ids: [digestOf(tar)] } }));
    return image(
      MediaType.OciManifest,
      { mediaType: MediaType.OciConfig, bytes: config },
      { mediaType: MediaType.OciLayer, bytes: tar },
    );
  }
  return image(
    MediaType.OciManifest,
    { mediaType: MediaType.OciEmpty, bytes: Buffer.from("{}") },
    { mediaType: "application/json", bytes: Buffer.from(json) },
    { artifactType: "application/vnd.goharbor.satellite.state.v1+json" },
  );
}

/** Pushes blobs then the manifest under each tag. */
export async function pushStateImage(
  registryUrl: string,
  repository: string,
  tags: string[],
  img: StateArtifactImage,
  credentials?: Credentials,
): Promise<void> {
  const client = createRegistryClient({ url: registryUrl, credentials, retry: { attempts: 1 } });
  try {
    for (const blob of img.blobs) await client.pushBlob(repository, blob);
    for (const tag of tags) await client.pushManifest(repository, tag, img.manifest, img.mediaType);
  } finally {
    client.close();
  }
}

/** Documents in the original's JSON shapes. */
export const stateDocuments = {
  satellite: (states: string[], config?: string) => JSON.stringify(config ? { states, config } : { states }),
  group: (
    group: string,
    registry: string,
    artifacts: { repository: string; tag?: string[]; digest?: string; type?: string; deleted?: boolean }[],
  ) => JSON.stringify({ group, registry, artifacts: artifacts.map((a) => ({ type: "image", ...a })) }),
};
