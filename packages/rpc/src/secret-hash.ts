// Slow hashes for secrets we must verify but never keep: robot secrets and admin passwords.
// scrypt (node:crypto, memory-hard) with a per-secret salt, in a self-describing PHC-like string
// so parameters can be raised later without breaking stored hashes.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** scrypt's cost: N = 2^ln, block size r, parallelism p. */
export interface SecretHashParams {
  ln: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: about 32 MiB and tens of milliseconds per hash. What production stores. */
export const DEFAULT_SECRET_HASH: SecretHashParams = { ln: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export async function hashSecret(secret: string, params: SecretHashParams = DEFAULT_SECRET_HASH): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, KEY_LENGTH, {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    maxmem: 256 * 1024 * 1024,
  });
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Constant-time check of a secret against a stored hash; false for malformed hashes. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  if (!match) return false;
  const [, ln, r, p, salt, key] = match;
  const expected = Buffer.from(key, "base64");
  const actual = await scrypt(secret, Buffer.from(salt, "base64"), expected.length, {
    N: 2 ** Number(ln),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function b64(buf: Buffer): string {
  return buf.toString("base64").replace(/=+$/, "");
}
