// The parts of an X.509 certificate the X509-SVID rules look at. node's X509Certificate exposes
// `ca` but not the KeyUsage bits (its `keyUsage` is the EKU list) nor a parsed SAN list, so those
// come from @peculiar/x509.
import type { X509Certificate } from "node:crypto";
import { x509 } from "./peculiar.js";

export interface CertificateFacts {
  /** basicConstraints cA. */
  isCA: boolean;
  /** basicConstraints pathLenConstraint, when set. */
  pathLength?: number;
  /** Whether the KeyUsage extension is present, and if so its flags and criticality. */
  keyUsage?: { critical: boolean; digitalSignature: boolean; keyCertSign: boolean; cRLSign: boolean };
  /** Every URI SAN, in order. */
  uriSans: string[];
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const parsed = new x509.X509Certificate(cert.raw);
  const basic = parsed.getExtension(x509.BasicConstraintsExtension);
  const ku = parsed.getExtension(x509.KeyUsagesExtension);
  const san = parsed.getExtension(x509.SubjectAlternativeNameExtension);
  const uriSans = san ? san.names.items.filter((n) => n.type === "url").map((n) => n.value) : [];
  return {
    isCA: basic?.ca ?? false,
    ...(basic?.pathLength !== undefined ? { pathLength: basic.pathLength } : {}),
    ...(ku
      ? {
          keyUsage: {
            critical: ku.critical,
            digitalSignature: (ku.usages & x509.KeyUsageFlags.digitalSignature) !== 0,
            keyCertSign: (ku.usages & x509.KeyUsageFlags.keyCertSign) !== 0,
            cRLSign: (ku.usages & x509.KeyUsageFlags.cRLSign) !== 0,
          },
        }
      : {}),
    uriSans,
  };
}
