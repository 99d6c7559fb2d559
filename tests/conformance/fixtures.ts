// The content the checks push, made once per run so every registry gets identical bytes: an
// OCI image, a Docker image and manifest list, an OCI index and a nested index, artifacts with
// a subject, a manifest using the descriptor `data` field, one with a non-distributable layer,
// the empty blob, a sha512 blob, and a blob for chunked uploads.
import { randomBytes } from "node:crypto";
import { MediaType, digestOf, type Descriptor } from "@harbor-satellite/oci";

export interface Blob extends Descriptor {
  bytes: Buffer;
}

export interface Manifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  /** Blobs it needs pushed first (for an index: its children's blobs). */
  blobs: Blob[];
  /** Child manifests to push first, by digest. */
  children: Manifest[];
}

export interface Fixtures {
  image: Manifest;
  /** An image whose blobs no check ever pushes. */
  unpushed: Manifest;
  image2: Manifest;
  dockerImage: Manifest;
  dockerList: Manifest;
  index: Manifest;
  nestedIndex: Manifest;
  sbom: Manifest;
  signature: Manifest;
  dataField: Manifest;
  nonDistributable: Manifest;
  emptyBlob: Blob;
  sha512Blob: Blob;
  chunked: Blob;
}

export function blob(
  bytes: Buffer,
  mediaType: string = MediaType.OciLayer,
  algorithm: "sha256" | "sha512" = "sha256",
): Blob {
  return { mediaType, digest: digestOf(bytes, algorithm), size: bytes.length, bytes };
}

function descriptor(b: { mediaType: string; digest: string; size: number }): Descriptor {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size };
}

function manifest(
  body: Record<string, unknown>,
  mediaType: string,
  blobs: Blob[],
  children: Manifest[] = [],
): Manifest {
  const bytes = Buffer.from(JSON.stringify(body));
  return { bytes, digest: digestOf(bytes), mediaType, blobs, children };
}

function ociImage(label: string, layerSize: number): Manifest {
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Labels: { label } },
        rootfs: { type: "layers", diff_ids: [] },
      }),
    ),
    MediaType.OciConfig,
  );
  const layer = blob(randomBytes(layerSize));
  return manifest(
    { schemaVersion: 2, mediaType: MediaType.OciManifest, config: descriptor(config), layers: [descriptor(layer)] },
    MediaType.OciManifest,
    [config, layer],
  );
}

function artifact(
  subject: Manifest,
  artifactType: string,
  payload: string,
  annotations: Record<string, string>,
): Manifest {
  const empty = blob(Buffer.from("{}"), MediaType.OciEmpty);
  const layer = blob(Buffer.from(payload), "application/octet-stream");
  return manifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: descriptor(empty),
      layers: [descriptor(layer)],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
      annotations,
    },
    MediaType.OciManifest,
    [empty, layer],
  );
}

function index(children: Manifest[], mediaType: string = MediaType.OciIndex): Manifest {
  const body = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c, i) => ({
      mediaType: c.mediaType,
      digest: c.digest,
      size: c.bytes.length,
      platform: { os: "linux", architecture: ["amd64", "arm64"][i % 2] },
    })),
  };
  return manifest(body, mediaType, [], children);
}

export function makeFixtures(): Fixtures {
  const image = ociImage("one", 64 * 1024);
  const image2 = ociImage("two", 32 * 1024);
  const dockerConfig = blob(
    Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } })),
    MediaType.DockerConfig,
  );
  const dockerLayer = blob(randomBytes(16 * 1024), MediaType.DockerLayerGzip);
  const dockerImage = manifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: descriptor(dockerConfig),
      layers: [descriptor(dockerLayer)],
    },
    MediaType.DockerManifest,
    [dockerConfig, dockerLayer],
  );
  const idx = index([image, image2]);
  const inline = Buffer.from("inline layer bytes");
  const dataConfig = blob(Buffer.from("{}"), MediaType.OciEmpty);
  const dataLayer = blob(inline);
  const dataField = manifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { ...descriptor(dataConfig), data: Buffer.from("{}").toString("base64") },
      layers: [{ ...descriptor(dataLayer), data: inline.toString("base64") }],
    },
    MediaType.OciManifest,
    [dataConfig, dataLayer],
  );
  const ndConfig = blob(Buffer.from(JSON.stringify({ os: "windows", architecture: "amd64" })), MediaType.OciConfig);
  const foreignLayer = {
    mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    digest: digestOf("not pushed"),
    size: 10,
    urls: ["https://example.com/layer"],
  };
  const nonDistributable = manifest(
    { schemaVersion: 2, mediaType: MediaType.OciManifest, config: descriptor(ndConfig), layers: [foreignLayer] },
    MediaType.OciManifest,
    [ndConfig],
  );
  const chunked = blob(randomBytes(3 * 256 * 1024 + 1234));
  return {
    image,
    unpushed: ociImage("never pushed", 1024),
    image2,
    dockerImage,
    dockerList: index([dockerImage], MediaType.DockerManifestList),
    index: idx,
    nestedIndex: index([idx, image2]),
    sbom: artifact(image, "application/spdx+json", "sbom", { "org.example.sbom": "spdx" }),
    signature: artifact(image, "application/vnd.example.signature", "signature", { "org.example.signer": "ci" }),
    dataField,
    nonDistributable,
    emptyBlob: blob(Buffer.alloc(0)),
    sha512Blob: blob(randomBytes(4096), MediaType.OciLayer, "sha512"),
    chunked,
  };
}
