// Synthetic OCI and Docker images for tests and benchmarks: random layers of given sizes written
// to disk as real tar archives (so containerd can unpack them), image configs with correct diff
// IDs, manifests, multi-arch indexes, and helpers to push them to a registry or write an OCI
// image layout. Layers are streamed from disk, so gigabyte layers cost no memory.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { createGzip } from "node:zlib";
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { Descriptor } from "@harbor-satellite/oci";
import { TAR_TRAILER, tarHeader, tarPadding } from "./tar.js";

export type ImageFormat = "oci" | "docker";

/** A blob kept on disk; `path` is named after its digest. */
export interface BlobFile extends Descriptor {
  path: string;
}

export interface SyntheticImage {
  format: ImageFormat;
  config: BlobFile;
  layers: BlobFile[];
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
}

export interface SyntheticIndex {
  format: ImageFormat;
  images: SyntheticImage[];
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
}

export interface ImageSpec {
  /** Size of the random file inside each layer, in bytes. */
  layerSizes: number[];
  format?: ImageFormat;
  platform?: { os: string; architecture: string; variant?: string };
  /** Folder to write blobs into; a temp folder by default. */
  dir?: string;
  /** Extra config labels, to make otherwise equal images differ. */
  labels?: Record<string, string>;
  /** OCI layers as `tar+gzip` (as real images have them) rather than plain tar; Docker layers are always gzip. */
  gzip?: boolean;
}

/** A scratch folder for blobs; remove it with `rm(dir, {recursive:true})` when done. */
export function makeBlobDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "hs-images-"));
}

/**
 * Writes a tar layer holding one file of random bytes; returns its descriptor and diff ID.
 * With `gzip`, the tar is gzip-framed at level 0 (random bytes do not compress; the framing is
 * what clients check), so the blob digest and the diff ID differ as they do in real images.
 */
export async function writeRandomLayer(
  dir: string,
  size: number,
  mediaType: string,
  gzip = false,
): Promise<{ blob: BlobFile; diffId: string }> {
  const tmp = join(dir, `tmp-${randomBytes(8).toString("hex")}`);
  const out = createWriteStream(tmp);
  const blobHash = createHash("sha256");
  const tarHash = createHash("sha256");
  const sink = gzip ? createGzip({ level: 0 }) : undefined;
  sink?.on("data", (chunk: Buffer) => blobHash.update(chunk));
  const piped = sink ? pipeline(sink, out) : undefined;
  const target = sink ?? out;
  const write = async (chunk: Buffer) => {
    tarHash.update(chunk);
    if (!sink) blobHash.update(chunk);
    if (!target.write(chunk)) await once(target, "drain");
  };
  await write(tarHeader(`data-${randomBytes(6).toString("hex")}.bin`, size));
  const chunkSize = 1 << 20;
  for (let left = size; left > 0; left -= chunkSize) await write(randomBytes(Math.min(chunkSize, left)));
  await write(tarPadding(size));
  await write(TAR_TRAILER);
  target.end();
  if (piped) await piped;
  else await once(out, "finish");
  const digest = `sha256:${blobHash.digest("hex")}`;
  const path = join(dir, digest.replace(":", "-"));
  await rename(tmp, path);
  const { size: blobSize } = await stat(path);
  return { blob: { mediaType, digest, size: blobSize, path }, diffId: `sha256:${tarHash.digest("hex")}` };
}

async function writeBlob(dir: string, mediaType: string, data: Buffer): Promise<BlobFile> {
  const digest = digestOf(data);
  const path = join(dir, digest.replace(":", "-"));
  await writeFile(path, data);
  return { mediaType, digest, size: data.length, path };
}

/** Builds one image with random layers of the given sizes. */
export async function buildImage(spec: ImageSpec): Promise<SyntheticImage> {
  const format = spec.format ?? "oci";
  const dir = spec.dir ?? (await makeBlobDir());
  await mkdir(dir, { recursive: true });
  // Docker schema 2 has only a gzip layer type, so Docker images get gzip-framed layers.
  const gzip = format === "docker" || spec.gzip === true;
  const layerType =
    format === "docker" ? MediaType.DockerLayerGzip : gzip ? MediaType.OciLayerGzip : MediaType.OciLayer;
  const built = [];
  for (const size of spec.layerSizes) built.push(await writeRandomLayer(dir, size, layerType, gzip));
  const platform = spec.platform ?? { os: "linux", architecture: "amd64" };
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Labels: spec.labels ?? {} },
      rootfs: { type: "layers", diff_ids: built.map((b) => b.diffId) },
      history: built.map(() => ({ created_by: "harbor-satellite testkit" })),
    }),
  );
  const configBlob = await writeBlob(dir, format === "oci" ? MediaType.OciConfig : MediaType.DockerConfig, config);
  const mediaType = format === "oci" ? MediaType.OciManifest : MediaType.DockerManifest;
  const strip = ({ mediaType: m, digest, size }: BlobFile): Descriptor => ({ mediaType: m, digest, size });
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType, config: strip(configBlob), layers: built.map((b) => strip(b.blob)) }),
  );
  return {
    format,
    config: configBlob,
    layers: built.map((b) => b.blob),
    manifest,
    manifestDigest: digestOf(manifest),
    mediaType,
  };
}

/** Builds a multi-arch index over images built for each platform. */
export async function buildIndex(
  platforms: { os: string; architecture: string; variant?: string }[],
  spec: Omit<ImageSpec, "platform">,
): Promise<SyntheticIndex> {
  const format = spec.format ?? "oci";
  const dir = spec.dir ?? (await makeBlobDir());
  const images: SyntheticImage[] = [];
  for (const platform of platforms) images.push(await buildImage({ ...spec, format, platform, dir }));
  const mediaType = format === "oci" ? MediaType.OciIndex : MediaType.DockerManifestList;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: images.map((img, i) => ({
        mediaType: img.mediaType,
        digest: img.manifestDigest,
        size: img.manifest.length,
        platform: platforms[i],
      })),
    }),
  );
  return { format, images, manifest, manifestDigest: digestOf(manifest), mediaType };
}

export interface PushAuth {
  username: string;
  password: string;
}

function authHeader(auth?: PushAuth): Record<string, string> {
  return auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` } : {};
}

async function expectStatus(res: Response, want: number, what: string): Promise<void> {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
}

/** Pushes one blob from disk with a monolithic upload, unless the registry already has it. */
export async function pushBlob(
  registryUrl: string,
  repository: string,
  blob: BlobFile,
  auth?: PushAuth,
): Promise<void> {
  const head = await fetch(`${registryUrl}/v2/${repository}/blobs/${blob.digest}`, {
    method: "HEAD",
    headers: authHeader(auth),
  });
  if (head.status === 200) return;
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, {
    method: "POST",
    headers: authHeader(auth),
  });
  await expectStatus(start, 202, `start upload of ${blob.digest}`);
  const location = new URL(start.headers.get("location") ?? "", registryUrl);
  location.searchParams.set("digest", blob.digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { ...authHeader(auth), "content-type": "application/octet-stream", "content-length": String(blob.size) },
    body: Readable.toWeb(createReadStream(blob.path)) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  await expectStatus(put, 201, `upload ${blob.digest}`);
}

/** Pushes manifest bytes under a tag or digest reference. */
export async function pushManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  manifest: Buffer,
  mediaType: string,
  auth?: PushAuth,
): Promise<void> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    headers: { ...authHeader(auth), "content-type": mediaType },
    body: manifest,
  });
  await expectStatus(res, 201, `push manifest ${repository}:${reference}`);
}

/** Pushes an image (blobs, then manifest) and tags it. */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  image: SyntheticImage,
  auth?: PushAuth,
): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await pushBlob(registryUrl, repository, blob, auth);
  await pushManifest(registryUrl, repository, tag, image.manifest, image.mediaType, auth);
}

/** Pushes an index: every child image by digest, then the index under the tag. */
export async function pushIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  index: SyntheticIndex,
  auth?: PushAuth,
): Promise<void> {
  for (const image of index.images) {
    for (const blob of [image.config, ...image.layers]) await pushBlob(registryUrl, repository, blob, auth);
    await pushManifest(registryUrl, repository, image.manifestDigest, image.manifest, image.mediaType, auth);
  }
  await pushManifest(registryUrl, repository, tag, index.manifest, index.mediaType, auth);
}

/**
 * Writes an OCI image layout holding the given images, each tagged with
 * `org.opencontainers.image.ref.name`, readable as `oci:<dir>:<tag>` by skopeo.
 */
export async function writeOciLayout(
  dir: string,
  tagged: { tag: string; image: SyntheticImage | SyntheticIndex }[],
): Promise<void> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const put = async (digest: string, data: Buffer) => writeFile(join(dir, "blobs", "sha256", digest.slice(7)), data);
  const manifests = [];
  for (const { tag, image } of tagged) {
    const images = "images" in image ? image.images : [image];
    for (const img of images) {
      for (const blob of [img.config, ...img.layers]) await put(blob.digest, await readFile(blob.path));
      await put(img.manifestDigest, img.manifest);
    }
    await put(image.manifestDigest, image.manifest);
    manifests.push({
      mediaType: image.mediaType,
      digest: image.manifestDigest,
      size: image.manifest.length,
      annotations: { "org.opencontainers.image.ref.name": tag },
    });
  }
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }),
  );
}

/** Removes a blob folder made by makeBlobDir or passed as `dir`. */
export async function removeBlobDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
