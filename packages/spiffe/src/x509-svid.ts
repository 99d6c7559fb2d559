// An X509-SVID we hold: our own identity from the Workload API (or a test CA). Parsing checks what
// go-spiffe's x509svid.ParseRaw checks, so a broken agent response is refused instead of being
// presented to peers: leaf rules (X509-SVID.md §3.1, §4), intermediates are signing certificates,
// the URI SAN matches the announced ID, and the key belongs to the leaf.
import type { KeyObject, X509Certificate } from "node:crypto";
import { certificateFacts } from "./certificate-facts.js";
import { certificatesToPem, parseDerCertificates, parsePkcs8Der, privateKeyToPem } from "./der.js";
import { InvalidSvidError } from "./errors.js";
import { SpiffeId } from "./spiffe-id.js";

export interface X509Svid {
  /** The SPIFFE ID in the leaf's URI SAN. */
  id: SpiffeId;
  /** Leaf first, then any intermediates up to (not including) a bundle authority. */
  certificates: readonly X509Certificate[];
  privateKey: KeyObject;
  /** Operator hint from the registration entry; "" when unset. */
  hint: string;
}

/** Parses a Workload API X509SVID message's fields into a checked X509Svid. */
export function parseX509Svid(raw: {
  spiffeId: string;
  chainDer: Uint8Array;
  keyDer: Uint8Array;
  hint?: string;
}): X509Svid {
  const certificates = parseDerCertificates(raw.chainDer);
  const privateKey = parsePkcs8Der(raw.keyDer);
  const svid = { id: idFromLeaf(certificates), certificates, privateKey, hint: raw.hint ?? "" };
  if (raw.spiffeId !== "" && raw.spiffeId !== svid.id.toString()) {
    throw new InvalidSvidError(`SVID announced as ${raw.spiffeId} but its certificate says ${svid.id.toString()}`);
  }
  validateX509Svid(svid);
  return svid;
}

/** Checks an SVID we are about to use; throws InvalidSvidError. */
export function validateX509Svid(svid: X509Svid): void {
  const [leaf, ...intermediates] = svid.certificates;
  if (!leaf) throw new InvalidSvidError("SVID has no certificates");
  const leafFacts = certificateFacts(leaf);
  if (svid.id.path === "") throw new InvalidSvidError("leaf SPIFFE ID must have a non-root path");
  if (leafFacts.isCA) throw new InvalidSvidError("leaf certificate must not be a CA");
  if (!leafFacts.keyUsage?.digitalSignature)
    throw new InvalidSvidError("leaf certificate must have digitalSignature key usage");
  if (leafFacts.keyUsage.keyCertSign || leafFacts.keyUsage.cRLSign) {
    throw new InvalidSvidError("leaf certificate must not have keyCertSign or cRLSign key usage");
  }
  intermediates.forEach((cert, i) => {
    const facts = certificateFacts(cert);
    if (!facts.isCA || !facts.keyUsage?.keyCertSign) {
      throw new InvalidSvidError(`intermediate ${i + 1} must be a CA with keyCertSign`);
    }
  });
  if (!leaf.checkPrivateKey(svid.privateKey))
    throw new InvalidSvidError("private key does not match the leaf certificate");
}

/** The SPIFFE ID of a leaf: exactly one URI SAN, and it must be a SPIFFE ID. */
function idFromLeaf(certificates: readonly X509Certificate[]): SpiffeId {
  const leaf = certificates[0];
  if (!leaf) throw new InvalidSvidError("SVID has no certificates");
  const uris = certificateFacts(leaf).uriSans;
  if (uris.length !== 1)
    throw new InvalidSvidError(`leaf certificate has ${uris.length} URI SANs; exactly one is required`);
  try {
    return SpiffeId.parse(uris[0]!);
  } catch (err) {
    throw new InvalidSvidError(`leaf URI SAN is not a SPIFFE ID`, { cause: err });
  }
}

/** PEM forms for node:tls: `cert` is the chain (leaf first), `key` is PKCS#8. */
export function x509SvidToPem(svid: X509Svid): { cert: string; key: string } {
  return { cert: certificatesToPem(svid.certificates), key: privateKeyToPem(svid.privateKey) };
}

/** When the leaf stops being valid. */
export function x509SvidExpiresAt(svid: X509Svid): Date {
  return new Date(svid.certificates[0]!.validTo);
}
