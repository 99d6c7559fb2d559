// DER and PEM plumbing. The Workload API sends chains and bundles as raw DER certificates
// concatenated with no separator, and node's X509Certificate silently reads only the first one of
// such a buffer, so we split on the ASN.1 SEQUENCE headers ourselves. node:tls wants PEM.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { InvalidSvidError } from "./errors.js";

const SEQUENCE = 0x30;

/** Splits concatenated DER certificates; throws InvalidSvidError on anything truncated or foreign. */
export function splitDerCertificates(buf: Uint8Array): Buffer[] {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    const length = derElementLength(data, offset);
    out.push(data.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

/** Total length (header + content) of the DER SEQUENCE starting at `offset`. */
function derElementLength(data: Buffer, offset: number): number {
  if (data[offset] !== SEQUENCE) {
    throw new InvalidSvidError(`not a DER certificate at byte ${offset} (expected a SEQUENCE)`);
  }
  if (offset + 2 > data.length) throw new InvalidSvidError("truncated DER certificate header");
  const first = data[offset + 1]!;
  let header = 2;
  let content = first;
  if (first & 0x80) {
    const octets = first & 0x7f;
    // DER forbids indefinite length (0x80); more than 4 length octets would be > 4 GiB.
    if (octets === 0 || octets > 4) throw new InvalidSvidError("unsupported DER length encoding");
    if (offset + 2 + octets > data.length) throw new InvalidSvidError("truncated DER certificate header");
    content = 0;
    for (let i = 0; i < octets; i++) content = content * 256 + data[offset + 2 + i]!;
    header += octets;
  }
  if (offset + header + content > data.length) {
    throw new InvalidSvidError(`truncated DER certificate at byte ${offset}`);
  }
  return header + content;
}

/** Parses concatenated DER certificates into node X509Certificates. */
export function parseDerCertificates(buf: Uint8Array): X509Certificate[] {
  return splitDerCertificates(buf).map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch (err) {
      throw new InvalidSvidError(`certificate ${i} cannot be parsed`, { cause: err });
    }
  });
}

/** Concatenated DER of the certificates: the Workload API's wire form. */
export function concatDer(certs: readonly X509Certificate[]): Buffer {
  return Buffer.concat(certs.map((c) => c.raw));
}

/** PEM blocks of the certificates, in order (a chain PEM for `cert`, a bundle PEM for `ca`). */
export function certificatesToPem(certs: readonly X509Certificate[]): string {
  return certs.map((c) => c.toString()).join("");
}

/** Parses an unencrypted PKCS#8 DER private key (the Workload API's `x509_svid_key`). */
export function parsePkcs8Der(der: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
  } catch (err) {
    throw new InvalidSvidError("private key is not PKCS#8 DER", { cause: err });
  }
}

/** A PKCS#8 PEM of the key, as node:tls `key` takes it. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }) as string;
}

/** The key's PKCS#8 DER (what a Workload API server sends). */
export function privateKeyToPkcs8Der(key: KeyObject): Buffer {
  return key.export({ type: "pkcs8", format: "der" });
}
