// The one way runtime configs are changed: read (missing = empty), compute the new content,
// and only if it differs, back the old file up and replace it atomically with its mode kept.
// Running it twice changes nothing the second time.
import { stat, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { readOptional } from "../fs/read-optional.js";
import { backupFile } from "./backup.js";

export interface FileEdit {
  path: string;
  changed: boolean;
  /** Where the previous content was saved, when there was any. */
  backup?: string;
}

/**
 * `update` gets the current text (undefined when the file is missing) and returns the new text,
 * or undefined to leave the file as it is.
 */
export async function editFile(
  path: string,
  update: (current: string | undefined) => string | undefined,
  now: Date,
  defaultMode = 0o644,
): Promise<FileEdit> {
  const current = await readOptional(path);
  const next = update(current);
  if (next === undefined || next === current) return { path, changed: false };
  const mode = current === undefined ? defaultMode : (await stat(path)).mode & 0o7777;
  const backup = await backupFile(path, now);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, next, { mode });
  return { path, changed: true, backup };
}
