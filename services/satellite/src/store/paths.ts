// Where everything lives under `--data-dir`. The data dir root IS an OCI image layout, so
// `skopeo inspect oci:<data-dir>:<repository>:<tag>` (and any other layout reader) sees what the
// registry serves, and a layout written by another tool can be served as-is.
//
//   <data-dir>/
//   ├── oci-layout                  {"imageLayoutVersion":"1.0.0"}
//   ├── index.json                  the only record of repositories, tags and manifests (below)
//   ├── blobs/
//   │   ├── sha256/<hex>            every blob AND every manifest, by content; shared by all
//   │   └── sha512/<hex>            repositories, each stored once
//   ├── ingest/<kind>-<random><n>   in-flight writes (blob writers, temp files, upload sessions);
//   │                               never read by the registry; emptied at start-up but for
//   │   partial-<alg>-<hex>         paused layer copies, kept across restarts (partial-blobs.ts)
//   ├── quarantine/<alg>-<hex>-<t>  blobs the scrub found not to match their name
//   └── satellite.lock/             who owns the store (data-dir-lock.ts)
//
// index.json holds one descriptor per (repository, tag) and one per (repository, untagged
// manifest). Each carries the annotation `io.goharbor.satellite.repository: <repository>`;
// tag descriptors also carry `org.opencontainers.image.ref.name: <repository>:<tag>`, which is
// how a layout reader names an image (`oci:<dir>:<repository>:<tag>`; containers/image splits
// the directory at the first colon, so the reference keeps its own). A manifest is in a
// repository when some descriptor of that repository names its digest. Descriptors this store
// did not write (no repository annotation) are kept verbatim and count as GC roots.
//
// Blobs have no on-disk link to repositories: a repository holds a blob when one of its
// manifests references it, or (in memory, until a manifest claims it) when it was uploaded or
// mounted into it. Upload sessions live in memory too; a restart drops them, as a client
// expects of any registry restart.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseDigest } from "@harbor-satellite/oci";

export const LAYOUT_FILE = "oci-layout";
export const INDEX_FILE = "index.json";
export const BLOBS_DIR = "blobs";
export const INGEST_DIR = "ingest";
export const QUARANTINE_DIR = "quarantine";
export const LOCK_FILE = "satellite.lock";

/** Annotation naming the repository a descriptor of index.json belongs to. */
export const REPOSITORY_ANNOTATION = "io.goharbor.satellite.repository";
/** The image-spec annotation layout readers resolve `oci:<dir>:<ref>` with. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

export const LAYOUT_CONTENT = JSON.stringify({ imageLayoutVersion: "1.0.0" });

/** Digest algorithms the store keeps, one folder each under blobs/. */
export const BLOB_ALGORITHMS = ["sha256", "sha512"] as const;

/** Path helpers for one store root. Digests are validated before they become a path. */
export interface StorePaths {
  readonly root: string;
  readonly index: string;
  readonly layout: string;
  readonly ingest: string;
  readonly quarantine: string;
  readonly lock: string;
  blobDir(algorithm: string): string;
  blob(digest: string): string;
  /** A fresh name in ingest/: random per store (no clash with an earlier process's), then a counter. */
  ingestFile(kind: string): string;
}

export function storePaths(root: string): StorePaths {
  const ingestPrefix = randomBytes(6).toString("hex");
  let ingestCount = 0;
  return {
    root,
    index: join(root, INDEX_FILE),
    layout: join(root, LAYOUT_FILE),
    ingest: join(root, INGEST_DIR),
    quarantine: join(root, QUARANTINE_DIR),
    lock: join(root, LOCK_FILE),
    blobDir: (algorithm) => join(root, BLOBS_DIR, algorithm),
    blob: (digest) => {
      const { algorithm, hex } = parseDigest(digest);
      return join(root, BLOBS_DIR, algorithm, hex);
    },
    ingestFile: (kind) => join(root, INGEST_DIR, `${kind}-${ingestPrefix}${(ingestCount++).toString(36)}`),
  };
}

/** `<repository>:<tag>`, the ref name a tag gets in index.json. */
export function refName(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}
