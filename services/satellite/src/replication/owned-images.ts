// The images replication put in a data dir, remembered between passes in
// `<data-dir>/replication-state.json`, so a later pass untags exactly what it stored and is no
// longer desired (and never a tag someone pushed to the local registry by hand). Replaced
// atomically; a temp file left by a crash sits in ingest/, which the store clears at open.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { storePaths } from "../store/paths.js";
import type { OwnedImage } from "./desired-image.js";

export const OWNED_IMAGES_FILE = "replication-state.json";

interface StateFile {
  version: 1;
  images: OwnedImage[];
}

export async function readOwnedImages(root: string): Promise<OwnedImage[]> {
  let text: string;
  try {
    text = await readFile(join(root, OWNED_IMAGES_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<StateFile>;
  if (parsed.version !== 1 || !Array.isArray(parsed.images)) throw new Error(`${OWNED_IMAGES_FILE}: unknown format`);
  return parsed.images.filter(isOwnedImage);
}

export async function writeOwnedImages(root: string, images: readonly OwnedImage[]): Promise<void> {
  const file: StateFile = {
    version: 1,
    images: images.map(({ repository, tag, digest, sourceDigest }) => ({ repository, tag, digest, sourceDigest })),
  };
  await writeFileAtomic(join(root, OWNED_IMAGES_FILE), `${JSON.stringify(file, null, 1)}\n`, {
    tempDir: storePaths(root).ingest,
  });
}

function isOwnedImage(value: unknown): value is OwnedImage {
  const v = value as Partial<OwnedImage> | null;
  return (
    typeof v?.repository === "string" &&
    isRepositoryName(v.repository) &&
    typeof v.tag === "string" &&
    isTag(v.tag) &&
    typeof v.digest === "string" &&
    isDigest(v.digest) &&
    typeof v.sourceDigest === "string" &&
    isDigest(v.sourceDigest)
  );
}
