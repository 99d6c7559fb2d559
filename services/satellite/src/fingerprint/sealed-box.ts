// Secrets at rest bound to this device. The envelope keeps the original's fields
// (`internal/satellite/secure/config.go`):
//
//   {"version":1,"salt":b64(16 B),"data":b64(nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)),
//    "kdf":{"name":"scrypt","N":65536,"r":8,"p":1},"check":b64(…)}
//
// and adds two: `kdf`, because the key comes from scrypt (node:crypto; Node 20 has no argon2id
// and no argon2id package without an install script exists here) rather than the original's
// Argon2id, and `check`, a value derived by the same slow KDF that tells "another device" apart
// from "tampered bytes" (both would otherwise be one GCM failure). An original satellite's file
// (no `kdf`) cannot be opened here; the agent then discards it and enrols again, as it does
// after a hardware change.
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface SealedEnvelope {
  version: 1;
  salt: string;
  data: string;
  kdf: { name: "scrypt" } & ScryptParams;
  check: string;
}

/** 64 MiB of memory per derivation, the original's Argon2id memory cost. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 16, r: 8, p: 1 };

const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Base class: the sealed data cannot be used; the agent discards it and runs ZTR again. */
export class SealedConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealedConfigError";
  }
}

/** The envelope was sealed on another device (or with another fingerprint). */
export class FingerprintMismatchError extends SealedConfigError {
  constructor() {
    super("sealed config was written on another device (fingerprint mismatch)");
    this.name = "FingerprintMismatchError";
  }
}

/** The right key opened it, but the ciphertext or tag was changed: GCM authentication failed. */
export class SealedConfigTamperedError extends SealedConfigError {
  constructor() {
    super("sealed config failed authentication: it was modified");
    this.name = "SealedConfigTamperedError";
  }
}

/** Not an envelope this satellite can open (malformed, unknown version, or the original's Argon2id). */
export class SealedConfigUnsupportedError extends SealedConfigError {
  constructor(reason: string) {
    super(`sealed config cannot be read: ${reason}`);
    this.name = "SealedConfigUnsupportedError";
  }
}

function validParams(p: ScryptParams): boolean {
  const pow2 = Number.isInteger(p.N) && p.N >= 1 << 10 && p.N <= 1 << 20 && (p.N & (p.N - 1)) === 0;
  return pow2 && Number.isInteger(p.r) && p.r >= 1 && p.r <= 32 && Number.isInteger(p.p) && p.p >= 1 && p.p <= 16;
}

/** 64 bytes from scrypt: the AES key, then material for the device check. */
function derive(fingerprint: string, salt: Buffer, params: ScryptParams): Promise<{ key: Buffer; check: Buffer }> {
  const maxmem = 128 * params.N * params.r * params.p + 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(fingerprint, salt, KEY_BYTES * 2, { N: params.N, r: params.r, p: params.p, maxmem }, (error, out) => {
      if (error) return reject(error);
      const check = createHash("sha256")
        .update("harbor-satellite sealed-config check\0")
        .update(out.subarray(KEY_BYTES))
        .digest();
      resolve({ key: out.subarray(0, KEY_BYTES), check });
    });
  });
}

export async function seal(
  plaintext: Uint8Array,
  fingerprint: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<SealedEnvelope> {
  if (!validParams(params)) throw new RangeError(`invalid scrypt parameters ${JSON.stringify(params)}`);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const { key, check } = await derive(fingerprint, salt, params);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const data = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return {
    version: 1,
    salt: salt.toString("base64"),
    data: data.toString("base64"),
    kdf: { name: "scrypt", ...params },
    check: check.toString("base64"),
  };
}

/** True when `value` has the envelope's shape (as opposed to a plain JSON config). */
export function looksSealed(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return "version" in v && typeof v.salt === "string" && typeof v.data === "string";
}

function readEnvelope(value: unknown): { salt: Buffer; data: Buffer; params: ScryptParams; check: Buffer } {
  if (!looksSealed(value)) throw new SealedConfigUnsupportedError("not a sealed envelope");
  const v = value as Record<string, unknown>;
  if (v.version !== 1) throw new SealedConfigUnsupportedError(`unknown version ${JSON.stringify(v.version)}`);
  const kdf = v.kdf as Record<string, unknown> | undefined;
  if (!kdf || typeof kdf !== "object")
    throw new SealedConfigUnsupportedError("no kdf: sealed by the original satellite with Argon2id");
  if (kdf.name !== "scrypt") throw new SealedConfigUnsupportedError(`unknown kdf ${JSON.stringify(kdf.name)}`);
  const params = { N: Number(kdf.N), r: Number(kdf.r), p: Number(kdf.p) };
  if (!validParams(params)) throw new SealedConfigUnsupportedError("scrypt parameters out of range");
  if (typeof v.check !== "string") throw new SealedConfigUnsupportedError("no device check");
  const salt = Buffer.from(v.salt as string, "base64");
  const data = Buffer.from(v.data as string, "base64");
  if (salt.length !== SALT_BYTES) throw new SealedConfigUnsupportedError("salt is not 16 bytes");
  if (data.length < NONCE_BYTES + TAG_BYTES) throw new SealedConfigTamperedError();
  return { salt, data, params, check: Buffer.from(v.check, "base64") };
}

/**
 * Opens an envelope. Throws FingerprintMismatchError (another device), SealedConfigTamperedError
 * (modified bytes) or SealedConfigUnsupportedError (not ours to read); all are SealedConfigError.
 */
export async function unseal(envelope: unknown, fingerprint: string): Promise<Buffer> {
  const { salt, data, params, check } = readEnvelope(envelope);
  const derived = await derive(fingerprint, salt, params);
  if (check.length !== derived.check.length || !timingSafeEqual(check, derived.check))
    throw new FingerprintMismatchError();
  const nonce = data.subarray(0, NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", derived.key, nonce);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedConfigTamperedError();
  }
}
