// For the mTLS tests: a root CA and an otherwise conformant X509-SVID leaf carrying a critical
// extension nobody understands. verify.ts does not look at critical extensions (the TLS stack
// does, RFC 5280 §4.2: a certificate with an unrecognized critical extension must be rejected),
// so this leaf passes the SPIFFE rules and only OpenSSL refuses it. The testkit CA cannot add
// arbitrary extensions, hence this small issuer.
import { KeyObject, X509Certificate, randomBytes, webcrypto } from "node:crypto";
import { x509 } from "./peculiar.js";
import type { TrustDomain } from "./spiffe-id.js";
import { X509Bundle } from "./x509-bundle.js";

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
/** An OID under private enterprise number 32473, reserved for documentation (RFC 5612). */
export const UNKNOWN_EXTENSION_OID = "1.3.6.1.4.1.32473.1.1";

export interface OddSvid {
  /** A bundle holding only this fixture's root. */
  bundle: X509Bundle;
  certPem: string;
  keyPem: string;
}

/** A root for `td` and a leaf for `spiffeId` with an unknown extension, critical or not. */
export async function issueSvidWithUnknownExtension(
  td: TrustDomain,
  spiffeId: string,
  critical: boolean,
): Promise<OddSvid> {
  const rootKeys = await newKeys();
  const notBefore = new Date(Date.now() - 10_000);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `C=US, O=SPIFFE, CN=${td.name} odd test CA`,
    notBefore,
    notAfter: new Date(Date.now() + 3600_000),
    keys: rootKeys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: td.idString() }], false),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leafKeys = await newKeys();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "C=US, O=SPIRE",
    issuer: root.subjectName,
    notBefore,
    notAfter: new Date(Date.now() + 3600_000),
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], false),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: spiffeId }], false),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
      // DER NULL as the value: well-formed, meaningless.
      new x509.Extension(UNKNOWN_EXTENSION_OID, critical, new Uint8Array([0x05, 0x00])),
    ],
  });
  const rootCert = new X509Certificate(Buffer.from(root.rawData));
  return {
    bundle: new X509Bundle(td, [rootCert]),
    certPem: new X509Certificate(Buffer.from(leaf.rawData)).toString(),
    keyPem: KeyObject.from(leafKeys.privateKey).export({ type: "pkcs8", format: "pem" }) as string,
  };
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
}
