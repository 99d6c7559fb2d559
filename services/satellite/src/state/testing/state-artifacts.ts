// Builds state artifacts for tests exactly as the original Ground Control pushes them
// (`crane.Image(map{"artifacts.json": json})`: Docker schema 2 manifest, Docker config whose
// rootfs.diff_ids names the layer, one gzip(tar) layer whose tar header carries only name and
// size, as Go's archive/tar writes it), plus the other layouts the reader accepts, and pushes
// them to any registry through the project's registry client.
import { gzipSync } from "node:zlib";
import { createRegistryClient, digestOf, MediaType, type Credentials } from "@harbor-satellite/oci";

export interface StateImage {
  manifest: Buffer;
  mediaType: string;
  digest: string;
  blobs: Buffer[];
}

export type StateLayout = "crane" | "tar" | "oci-artifact";

const BLOCK = 512;

/** One ustar header as Go's archive/tar writes `tar.Header{Name, Size}` (mode 0, no times, typeflag '0'). */
export function tarHeader(name: string, size: number, typeflag = "0"): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name.slice(0, 100), 0, "utf8");
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  header.write(octal(0, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(0, 12), 136);
  header.write("        ", 148);
  if (typeflag !== "\0") header.write(typeflag, 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + " ", 148);
  return header;
}

const pad = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A tar of the given entries; `pax` entries are PAX extended headers naming the next entry. */
export function tarOf(entries: { name: string; content: Buffer; typeflag?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries)
    parts.push(tarHeader(entry.name, entry.content.length, entry.typeflag), entry.content, pad(entry.content.length));
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** A PAX record `"<len> path=<name>\n"`. */
export function paxPathRecord(name: string): Buffer {
  const body = ` path=${name}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.from(`${length}${body}`);
}

function image(mediaType: string, manifest: object, blobs: Buffer[]): StateImage {
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { manifest: bytes, mediaType, digest: digestOf(bytes), blobs };
}

/** The original's layout. `tar` lets a test pass its own archive (long names, PAX). */
export function craneStateImage(
  json: string,
  tar = tarOf([{ name: "artifacts.json", content: Buffer.from(json) }]),
): StateImage {
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
    {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, size: config.length, digest: digestOf(config) },
      layers: [{ mediaType: MediaType.DockerLayerGzip, size: layer.length, digest: digestOf(layer) }],
    },
    [config, layer],
  );
}

export function stateImage(json: string, layout: StateLayout = "crane"): StateImage {
  if (layout === "crane") return craneStateImage(json);
  if (layout === "tar") {
    const tar = tarOf([{ name: "./artifacts.json", content: Buffer.from(json) }]);
    const config = Buffer.from(JSON.stringify({ rootfs: { type: "layers", diff_ids: [digestOf(tar)] } }));
    return image(
      MediaType.OciManifest,
      {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, size: config.length, digest: digestOf(config) },
        layers: [{ mediaType: MediaType.OciLayer, size: tar.length, digest: digestOf(tar) }],
      },
      [config, tar],
    );
  }
  const empty = Buffer.from("{}");
  const layer = Buffer.from(json);
  return image(
    MediaType.OciManifest,
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: "application/vnd.goharbor.satellite.state.v1+json",
      config: { mediaType: MediaType.OciEmpty, size: 2, digest: digestOf(empty) },
      layers: [{ mediaType: "application/json", size: layer.length, digest: digestOf(layer) }],
    },
    [empty, layer],
  );
}

/** Pushes blobs then the manifest under each tag. */
export async function pushStateImage(
  registryUrl: string,
  repository: string,
  tags: string[],
  img: StateImage,
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
export const documents = {
  satellite: (states: string[], config?: string) => JSON.stringify(config ? { states, config } : { states }),
  group: (
    group: string,
    registry: string,
    artifacts: { repository: string; tag?: string[]; digest?: string; type?: string; deleted?: boolean }[],
  ) => JSON.stringify({ group, registry, artifacts: artifacts.map((a) => ({ type: "image", ...a })) }),
};
