// The embedded database holds the scrypt hashes of the admin and of every robot, so only its
// owner may read it: folders 0700, files 0600, whatever the umask. PGlite does not make that so
// by itself: it writes its initial cluster with explicit modes (files 0666, folders by the umask)
// and creates some files at run time 0644 (its own umask is 022), so we set the modes ourselves
// after opening and again at close. In between, the 0700 top folder keeps everyone else out of
// whatever PGlite creates.
import { chmod, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) 0700 and makes an existing one 0700. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

/** Sets 0700 on `dir` and every folder under it, 0600 on every file; symlinks are left alone. */
export async function makeTreePrivate(dir: string): Promise<void> {
  let entries;
  try {
    await chmod(dir, PRIVATE_DIR_MODE);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isGone(error)) return; // PGlite removed it between our listing and now
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeTreePrivate(path);
    else if (entry.isFile())
      await chmod(path, PRIVATE_FILE_MODE).catch((error: unknown) => {
        if (!isGone(error)) throw error;
      });
  }
}

function isGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}
