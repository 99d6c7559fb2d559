import { describe, expect, it } from "vitest";
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

  it("refuses require_signature without a key, a key that is not PEM, and unknown keys", () => {
    // The default (no keys) is filled in first, so both spellings name the list.
    expect(issues({ require_signature: true })).toEqual([
      {
        path: "app_config.signature_policy.trusted_keys",
        message: "at least one key is required with require_signature",
      },
    ]);
    expect(issues({ require_signature: true, trusted_keys: [] })).toEqual([
      { path: "app_config.signature_policy.trusted_keys", message: expect.stringMatching(/fewer than 1 item/) },
    ]);
    expect(issues({ trusted_keys: ["ssh-ed25519 AAAA…"] })).toEqual([
      {
        path: "app_config.signature_policy.trusted_keys[0]",
        message: "expected a PEM public key (-----BEGIN PUBLIC KEY-----, ECDSA P-256 or Ed25519)",
      },
    ]);
    expect(issues({ require_signatures: true })).toHaveLength(1);
  });
});
