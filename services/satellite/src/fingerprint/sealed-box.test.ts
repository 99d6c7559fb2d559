import { describe, expect, it } from "vitest";
import {
  DEFAULT_SCRYPT,
  FingerprintMismatchError,
  seal,
  SealedConfigTamperedError,
  SealedConfigUnsupportedError,
  unseal,
  type ScryptParams,
} from "./sealed-box.js";

// Cheap parameters keep the suite fast; the default cost is checked once below.
const FAST: ScryptParams = { N: 1 << 10, r: 8, p: 1 };
const secret = Buffer.from(JSON.stringify({ state_config: { auth: { password: "robot-secret" } } }));

describe("sealed box", () => {
  it("round-trips and keeps the original's envelope fields", async () => {
    const envelope = await seal(secret, "fp-1", FAST);
    expect(envelope.version).toBe(1);
    expect(Buffer.from(envelope.salt, "base64")).toHaveLength(16);
    expect(Buffer.from(envelope.data, "base64")).toHaveLength(12 + secret.length + 16);
    expect(JSON.stringify(envelope)).not.toContain("robot-secret");
    expect(await unseal(envelope, "fp-1")).toEqual(secret);
  });

  it("uses a fresh salt and nonce each time", async () => {
    const a = await seal(secret, "fp", FAST);
    const b = await seal(secret, "fp", FAST);
    expect(a.salt).not.toBe(b.salt);
    expect(a.data).not.toBe(b.data);
  });

  it("detects another device's fingerprint as a mismatch", async () => {
    const envelope = await seal(secret, "fp-1", FAST);
    await expect(unseal(envelope, "fp-2")).rejects.toThrow(FingerprintMismatchError);
  });

  it("detects every flipped ciphertext or tag byte as tampering", async () => {
    const envelope = await seal(secret, "fp", FAST);
    const data = Buffer.from(envelope.data, "base64");
    for (const at of [12, 12 + Math.floor(secret.length / 2), data.length - 1]) {
      const bad = Buffer.from(data);
      bad[at] ^= 0x01;
      await expect(unseal({ ...envelope, data: bad.toString("base64") }, "fp"), `byte ${at}`).rejects.toThrow(
        SealedConfigTamperedError,
      );
    }
    await expect(unseal({ ...envelope, data: data.subarray(0, 20).toString("base64") }, "fp")).rejects.toThrow(
      SealedConfigTamperedError,
    );
  });

  it("refuses the original's Argon2id envelope and unknown versions as unsupported", async () => {
    const envelope = await seal(secret, "fp", FAST);
    const { kdf: _kdf, check: _check, ...original } = envelope;
    await expect(unseal(original, "fp")).rejects.toThrow(SealedConfigUnsupportedError);
    await expect(unseal({ ...envelope, version: 2 }, "fp")).rejects.toThrow(SealedConfigUnsupportedError);
    await expect(unseal({ ...envelope, kdf: { name: "scrypt", N: 3, r: 8, p: 1 } }, "fp")).rejects.toThrow(
      SealedConfigUnsupportedError,
    );
  });

  it("defaults to 64 MiB scrypt", async () => {
    expect(128 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r).toBe(64 * 1024 * 1024);
    const envelope = await seal(secret, "fp");
    expect(envelope.kdf).toEqual({ name: "scrypt", ...DEFAULT_SCRYPT });
    expect(await unseal(envelope, "fp")).toEqual(secret);
  });
});
