// A sealed envelope on disk: written atomically with mode 0600 (temp + fsync + rename), read
// back and opened with this device's fingerprint.
import { writeFileAtomic, type AtomicWriteOptions } from "../fs/atomic-file.js";
import { readOptional } from "../fs/read-optional.js";
import { seal, SealedConfigUnsupportedError, unseal, type ScryptParams } from "./sealed-box.js";

export interface SealedFileOptions {
  scrypt?: ScryptParams;
  /** Test hook passed to the atomic write. */
  beforeRename?: AtomicWriteOptions["beforeRename"];
}

export async function writeSealedFile(
  path: string,
  plaintext: Uint8Array,
  fingerprint: string,
  options: SealedFileOptions = {},
): Promise<void> {
  const envelope = await seal(plaintext, fingerprint, options.scrypt);
  await writeFileAtomic(path, `${JSON.stringify(envelope)}\n`, { mode: 0o600, beforeRename: options.beforeRename });
}

/** The plaintext, or undefined when the file does not exist. Throws SealedConfigError subclasses. */
export async function readSealedFile(path: string, fingerprint: string): Promise<Buffer | undefined> {
  const text = await readOptional(path);
  if (text === undefined) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new SealedConfigUnsupportedError("not JSON (truncated or overwritten)");
  }
  return unseal(envelope, fingerprint);
}
