// Verifies a data dir from what is visible on disk, without opening (or locking, or repairing)
// the store: every blob's bytes hash to its name, index.json parses, and every manifest it lists
// is present, parses and finds the blobs and child manifests it references. Ingest leftovers
// are not visible content and are not checked. This is what "a kill -9 at any instant leaves a
// store that verifies" is measured with (`satellite serve --verify`).
import { readFile, stat } from "node:fs/promises";
import { parseDigest } from "@harbor-satellite/oci";
import { BlobFiles, isNotFound } from "./blob-files.js";
import { hashFile } from "./hash-file.js";
import { manifestInfo, type ManifestInfo } from "./manifest-info.js";
import { storePaths } from "./paths.js";
import { parseIndexFile } from "./repository-index.js";

export interface VerifyReport {
  blobs: number;
  bytes: number;
  manifests: number;
  /** Blobs whose content does not hash to their name. */
  corrupt: { digest: string; actual: string }[];
  /** References that point at nothing (index.json → manifest, manifest → blob or child). */
  missing: { digest: string; referencedBy: string }[];
  /** Problems reading index.json or a manifest. */
  errors: string[];
  ok: boolean;
}

export async function verifyStore(root: string): Promise<VerifyReport> {
  const paths = storePaths(root);
  const files = new BlobFiles(paths);
  const report: VerifyReport = { blobs: 0, bytes: 0, manifests: 0, corrupt: [], missing: [], errors: [], ok: true };
  for (const digest of await files.list()) {
    const path = files.path(digest);
    const actual = await hashFile(path, parseDigest(digest).algorithm);
    report.blobs++;
    report.bytes += (await stat(path)).size;
    if (actual !== digest) report.corrupt.push({ digest, actual });
  }
  await checkReferences(root, files, report);
  report.ok = report.corrupt.length === 0 && report.missing.length === 0 && report.errors.length === 0;
  return report;
}

async function checkReferences(root: string, files: BlobFiles, report: VerifyReport): Promise<void> {
  let text: string;
  try {
    text = await readFile(storePaths(root).index, "utf8");
  } catch (error) {
    if (!isNotFound(error)) report.errors.push(`index.json: ${(error as Error).message}`);
    return;
  }
  let parsed;
  try {
    parsed = parseIndexFile(text);
  } catch (error) {
    report.errors.push(`index.json: ${(error as Error).message}`);
    return;
  }
  const seen = new Map<string, ManifestInfo | undefined>();
  const visit = async (digest: string, mediaType: string | undefined, referencedBy: string): Promise<void> => {
    if (seen.has(digest)) return;
    const bytes = await files.read(digest);
    if (!bytes) {
      seen.set(digest, undefined);
      report.missing.push({ digest, referencedBy });
      return;
    }
    let info: ManifestInfo;
    try {
      info = manifestInfo(digest, bytes, mediaType);
    } catch (error) {
      seen.set(digest, undefined);
      report.errors.push(`${digest}: ${(error as Error).message}`);
      return;
    }
    seen.set(digest, info);
    report.manifests++;
    for (const blob of info.blobs) {
      if (!info.optionalBlobs.has(blob) && !(await files.stat(blob)))
        report.missing.push({ digest: blob, referencedBy: digest });
    }
    for (const child of info.children) await visit(child, undefined, digest);
  };
  for (const entry of parsed.entries) await visit(entry.digest, entry.mediaType, `index.json (${entry.repository})`);
}
