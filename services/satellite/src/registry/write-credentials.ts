// The credentials that may write to the local registry (`--registry-write-credentials-file`),
// checked against a request's `Authorization: Basic …`. The file holds one `user:secret` line per
// user (blank lines and `#` comments skipped), the secret being the password itself, an scrypt
// hash in PHC form, `$scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>`, which `satellite hash-password`
// prints, or a bcrypt hash as `htpasswd -B` writes it (`$2y$05$…`; bcryptjs, pure JavaScript, as
// Node's crypto has no bcrypt). So an htpasswd file made for docker-registry works as it is.
//
// Comparisons run in constant time (both sides hashed to a fixed length first, every user
// compared). An scrypt or bcrypt check costs milliseconds of CPU, so at most a few run at once
// (more get 429), and a header that passed is remembered (by its SHA-256, never in the clear)
// for a few minutes, so a multi-request push pays once. The secret never reaches a log line or
// an error message.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { readFile } from "node:fs/promises";
import { OciError } from "@harbor-satellite/oci";
import bcrypt from "bcryptjs";

export class CredentialsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialsFileError";
  }
}

interface ScryptHash {
  salt: Buffer;
  hash: Buffer;
  options: ScryptOptions;
}

interface Entry {
  user: string;
  /** SHA-256 of the password, when stored in the clear. */
  plain?: Buffer;
  scrypt?: ScryptHash;
  /** A bcrypt hash (`$2a$`, `$2b$` or htpasswd's `$2y$`). */
  bcrypt?: string;
}

export interface WriteCredentials {
  /** Users named in the file (for the start-up log line; never the secrets). */
  readonly users: readonly string[];
  /**
   * The first user whose password the file holds in the clear: what the agent gives the container
   * runtimes it configures (an scrypt line cannot be turned back into a password).
   */
  readonly login?: { user: string; password: string };
  /** True when the header carries the Basic credentials of one of the users. */
  verify(authorization: string | undefined): Promise<boolean>;
}

const sha256 = (value: string | Buffer) => createHash("sha256").update(value).digest();
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** htpasswd -B's default cost is 5; past 12 one check takes most of a second of CPU. */
const BCRYPT_MAX_COST = 12;
const SCRYPT_PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;
/** scrypt's default memory cap (32 MiB) is too small for ln=15, r=8 (exactly 32 MiB); allow headroom. */
const SCRYPT_MAXMEM = 256 << 20;
const MAX_CONCURRENT_HASHES = 4;
const REMEMBER_MS = 5 * 60_000;
const REMEMBER_MAX = 256;

const scrypt = (password: Buffer, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** Reads and checks a credentials file; a CredentialsFileError names what is wrong (never a secret). */
export async function loadWriteCredentials(path: string): Promise<WriteCredentials> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CredentialsFileError(
      `cannot read the registry write credentials file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseWriteCredentials(text, path);
}

export function parseWriteCredentials(text: string, source = "credentials file"): WriteCredentials {
  const entries: Entry[] = [];
  let login: { user: string; password: string } | undefined;
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const where = `${source} line ${index + 1}`;
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new CredentialsFileError(`${where}: expected user:password or user:$scrypt$… (no secret is shown here)`);
    const user = line.slice(0, colon);
    const secret = line.slice(colon + 1);
    if (secret === "") throw new CredentialsFileError(`${where}: empty password for user ${JSON.stringify(user)}`);
    if (entries.some((e) => e.user === user))
      throw new CredentialsFileError(`${where}: user ${JSON.stringify(user)} appears twice`);
    if (/^\$2[abxy]?\$/.test(secret)) {
      entries.push({ user, bcrypt: checkBcrypt(secret, where) });
      continue;
    }
    if (/^\$apr1\$|^\{SHA\}/.test(secret))
      throw new CredentialsFileError(
        `${where}: MD5 and SHA-1 htpasswd hashes are not supported; use an scrypt hash from 'satellite hash-password'`,
      );
    if (secret.startsWith("$scrypt$")) entries.push({ user, scrypt: parseScrypt(secret, where) });
    else {
      entries.push({ user, plain: sha256(secret) });
      login ??= { user, password: secret };
    }
  }
  if (entries.length === 0) throw new CredentialsFileError(`${source} names no user`);
  return createVerifier(entries, login);
}

function checkBcrypt(secret: string, where: string): string {
  const match = BCRYPT.exec(secret);
  if (!match)
    throw new CredentialsFileError(
      `${where}: malformed bcrypt hash (expected $2y$, $2b$ or $2a$, a cost, 53 characters)`,
    );
  const cost = Number(match[1]);
  if (cost < 4 || cost > BCRYPT_MAX_COST)
    throw new CredentialsFileError(`${where}: bcrypt cost ${cost} out of range (4 to ${BCRYPT_MAX_COST})`);
  return secret;
}

function parseScrypt(secret: string, where: string): ScryptHash {
  const match = SCRYPT_PHC.exec(secret);
  if (!match)
    throw new CredentialsFileError(`${where}: malformed scrypt hash (expected $scrypt$ln=N,r=R,p=P$salt$hash, base64)`);
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (ln < 10 || r < 1 || p < 1 || p > 4 || 128 * 2 ** ln * r > SCRYPT_MAXMEM)
    throw new CredentialsFileError(
      `${where}: scrypt parameters out of range (ln ≥ 10, p 1–4, at most ${SCRYPT_MAXMEM >> 20} MiB: 128·2^ln·r)`,
    );
  const salt = Buffer.from(match[4], "base64");
  const hash = Buffer.from(match[5], "base64");
  if (salt.length < 8 || hash.length < 16) throw new CredentialsFileError(`${where}: scrypt salt or hash too short`);
  return { salt, hash, options: { N: 2 ** ln, r, p, maxmem: SCRYPT_MAXMEM } };
}

/** An scrypt line for a password, as `satellite hash-password` prints it (`user:` not included). */
export async function hashPassword(password: string, ln = 15): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(Buffer.from(password, "utf8"), salt, 32, { N: 2 ** ln, r: 8, p: 1, maxmem: SCRYPT_MAXMEM });
  return `$scrypt$ln=${ln},r=8,p=1$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** `Basic <base64 user:password>` → its parts; undefined when it is not that. */
export function parseBasic(authorization: string | undefined): { user: string; password: string } | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Basic +([A-Za-z0-9+/=]{1,4096}) *$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function createVerifier(entries: Entry[], login: WriteCredentials["login"]): WriteCredentials {
  const userHashes = entries.map((e) => sha256(e.user));
  const remembered = new Map<string, number>();
  let hashing = 0;

  const check = async (given: { user: string; password: string }): Promise<boolean> => {
    // Every user is compared, so the time taken does not tell which names exist.
    const wanted = sha256(given.user);
    let found: Entry | undefined;
    for (const [i, hash] of userHashes.entries()) if (timingSafeEqual(hash, wanted) && !found) found = entries[i];
    const password = Buffer.from(given.password, "utf8");
    if (!found?.scrypt && !found?.bcrypt) {
      const expected = found?.plain ?? sha256(randomBytes(16));
      return timingSafeEqual(sha256(password), expected) && found !== undefined;
    }
    if (hashing >= MAX_CONCURRENT_HASHES)
      throw new OciError("TOOMANYREQUESTS", "too many credential checks at once", { retryAfterSeconds: 1 });
    hashing++;
    try {
      if (found.bcrypt) return await bcrypt.compare(given.password, found.bcrypt);
      const { salt, hash, options } = found.scrypt!;
      return timingSafeEqual(await scrypt(password, salt, hash.length, options), hash);
    } finally {
      hashing--;
    }
  };

  return {
    users: entries.map((e) => e.user),
    login,
    async verify(authorization) {
      const given = parseBasic(authorization);
      if (!given) return false;
      const key = sha256(authorization!).toString("base64");
      const now = Date.now();
      const until = remembered.get(key);
      if (until !== undefined && until > now) return true;
      if (!(await check(given))) return false;
      if (remembered.size >= REMEMBER_MAX)
        for (const [k, t] of remembered) if (t <= now || remembered.size >= REMEMBER_MAX) remembered.delete(k);
      remembered.set(key, now + REMEMBER_MS);
      return true;
    },
  };
}
