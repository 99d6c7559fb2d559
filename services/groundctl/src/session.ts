// The stored login: one JSON file, mode 0600 in a 0700 folder, under the user's config dir
// (GROUNDCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/groundctl, else ~/.config/groundctl). It holds
// Ground Control's URL and a session token (never a password), plus the TLS choices made at login.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { NotLoggedInError } from "./exit-codes.js";

export const SESSION_FILE = "session.json";

export interface Session {
  url: string;
  username: string;
  token: string;
  /** RFC 3339; when Ground Control ends the session. */
  expireTime?: string;
  caFile?: string;
  insecureSkipVerify?: boolean;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.GROUNDCTL_CONFIG_DIR) return env.GROUNDCTL_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "groundctl");
  return join(env.HOME || homedir(), ".config", "groundctl");
}

export const sessionPath = (dir: string): string => join(dir, SESSION_FILE);

/** The stored session, or undefined when there is none. */
export async function readSession(dir: string): Promise<Session | undefined> {
  const path = sessionPath(dir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new NotLoggedInError(`cannot read the session ${path}: ${(error as Error).message}`);
  }
  let session: Partial<Session>;
  try {
    session = JSON.parse(text) as Partial<Session>;
  } catch {
    throw new NotLoggedInError(`the session ${path} is not JSON: run groundctl login again`);
  }
  if (typeof session.url !== "string" || typeof session.token !== "string" || session.token === "") {
    throw new NotLoggedInError(`the session ${path} has no URL or token: run groundctl login again`);
  }
  return { ...session, username: session.username ?? "" } as Session;
}

/** Writes the session atomically, readable by its owner only. */
export async function writeSession(dir: string, session: Session): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = sessionPath(dir);
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  const file = await open(temp, "wx", 0o600);
  try {
    // The mode asked for is reduced by the umask, never widened; set it exactly all the same.
    await file.chmod(0o600);
    await file.writeFile(`${JSON.stringify(session, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await chmod(path, 0o600);
  return path;
}

/** Removes the stored session; false when there was none. */
export async function removeSession(dir: string): Promise<boolean> {
  const path = sessionPath(dir);
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
