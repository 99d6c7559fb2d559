// A trusted key of `app_config.signature_policy` (cosign's key formats the satellite verifies):
// a PEM PKIX public key ("-----BEGIN PUBLIC KEY-----") that is ECDSA on P-256 or Ed25519. The
// schema's `trusted-public-key` format and the satellite's verifier both read keys here, so a key
// Ground Control accepts is one the satellite can use, and a refusal says the same thing on both.
import { createPublicKey, type KeyObject } from "node:crypto";

/** What a trusted key must be, as every refusal says it. */
export const TRUSTED_KEY_EXPECTED = "a PEM public key (-----BEGIN PUBLIC KEY-----) for ECDSA P-256 or Ed25519";

const KEY_KINDS: Record<string, string> = {
  rsa: "an RSA key",
  "rsa-pss": "an RSA-PSS key",
  dsa: "a DSA key",
  ed448: "an Ed448 key",
  x25519: "an X25519 key",
  x448: "an X448 key",
};

/** `reason` names what was given ("an RSA key"); trustedKeyMessage makes the sentence. */
export type TrustedKeyReading = { ok: true; key: KeyObject } | { ok: false; reason: string };

export function readTrustedKey(pem: string): TrustedKeyReading {
  if (!/^\s*-----BEGIN PUBLIC KEY-----/.test(pem))
    return {
      ok: false,
      reason: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)
        ? "a private key (give its public key)"
        : "text that is not a PEM public key",
    };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch {
    // Often a JSON string with literal "\n" instead of line breaks, or a truncated paste.
    return { ok: false, reason: "a PEM block that does not parse (check the line breaks and the END line)" };
  }
  if (key.asymmetricKeyType === "ed25519") return { ok: true, key };
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return { ok: true, key };
  const type = key.asymmetricKeyType ?? "unknown";
  const kind =
    type === "ec"
      ? `an ECDSA key on ${key.asymmetricKeyDetails?.namedCurve ?? "an unknown curve"}`
      : (KEY_KINDS[type] ?? `a key of type ${type}`);
  return { ok: false, reason: kind };
}

/** What is wrong with a key that is not usable, in the words of the config check and the satellite's policy. */
export function trustedKeyMessage(reason: string): string {
  return `expected ${TRUSTED_KEY_EXPECTED}, got ${reason}`;
}
