import { describe, expect, it } from "vitest";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { readTrustedKey } from "./trusted-key.js";
import { validateSatelliteConfig } from "./validate.js";

const KEY =
  "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
const issues = (signature_policy: unknown) => {
  const verdict = validateSatelliteConfig({ app_config: { signature_policy } });
  return verdict.ok ? [] : verdict.issues;
};

describe("app_config.signature_policy", () => {
  it("defaults to off with no keys", () => {
    const verdict = validateSatelliteConfig({});
    if (!verdict.ok) throw new Error("refused");
    expect(verdict.config.app_config.signature_policy).toEqual({ require_signature: false, trusted_keys: [] });
  });

  it("takes require_signature with PEM public keys", () => {
    expect(issues({ require_signature: true, trusted_keys: [KEY] })).toEqual([]);
  });

  it("refuses require_signature without a key, naming the list and what it needs, however it is spelt", () => {
    const none = [
      {
        path: "app_config.signature_policy.trusted_keys",
        message:
          "require_signature is true: expected at least one trusted key, a PEM public key (-----BEGIN PUBLIC KEY-----) for ECDSA P-256 or Ed25519",
      },
    ];
    expect(issues({ require_signature: true })).toEqual(none);
    expect(issues({ require_signature: true, trusted_keys: [] })).toEqual(none);
  });

  it("refuses a key that is not a PEM P-256 or Ed25519 public key, saying what it is", () => {
    const expected = "expected a PEM public key (-----BEGIN PUBLIC KEY-----) for ECDSA P-256 or Ed25519, got ";
    const pem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
    const p384 = pem(generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey);
    const rsa = pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey);
    const privateKey = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const cases: [string, string][] = [
      ["ssh-ed25519 AAAA…", "text that is not a PEM public key"],
      [privateKey, "a private key (give its public key)"],
      [KEY.replaceAll("\n", "\\n"), "a PEM block that does not parse (check the line breaks and the END line)"],
      [p384, "an ECDSA key on secp384r1"],
      [rsa, "an RSA key"],
    ];
    for (const [key, reason] of cases)
      expect(issues({ require_signature: true, trusted_keys: [KEY, key] })).toEqual([
        { path: "app_config.signature_policy.trusted_keys[1]", message: expected + reason },
      ]);
    expect(readTrustedKey(p384)).toEqual({ ok: false, reason: cases[3][1] });
    expect(readTrustedKey(KEY)).toMatchObject({ ok: true });
  });

  it("refuses unknown keys", () => {
    expect(issues({ require_signatures: true })).toHaveLength(1);
  });
});
