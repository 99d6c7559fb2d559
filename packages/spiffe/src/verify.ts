// Peer X509-SVID verification per X509-SVID.md §5: leaf validation (exactly one URI SAN holding a
// SPIFFE ID with a non-root path, not a CA, no keyCertSign/cRLSign), then RFC 5280-style path
// validation against the bundle of the peer's own trust domain only (SPIFFE_Workload_API.md §4.6:
// no bundle for that trust domain means untrusted), then the caller's authorizer. Hostnames are
// never looked at. Like go-spiffe, EKUs are not enforced here, nor critical extensions or name
// constraints: this is the SPIFFE layer on top of, not instead of, the TLS stack's own chain
// verification (tls.ts requires both).
import { X509Certificate } from "node:crypto";
import type { Authorizer } from "./authorizer.js";
import { certificateFacts } from "./certificate-facts.js";
import { SvidVerificationError } from "./errors.js";
import { SpiffeId } from "./spiffe-id.js";
import type { X509Bundle, X509BundleSource } from "./x509-bundle.js";

/** Longest path we build, intermediates included; real SPIRE chains are 1–3 deep. */
const MAX_CHAIN_DEPTH = 8;

export interface VerifyPeerOptions {
  /** Who the peer is, for messages ("no client certificate"); default "client". */
  peer?: "client" | "server";
  /** Runs after the SVID verified; throws to deny. Default: allow any verified ID. */
  authorizer?: Authorizer;
  /** Verification time; default now. */
  now?: Date;
}

/** What a verified chain proved, and until when. */
export interface VerifiedPeer {
  id: SpiffeId;
  /** The earliest notAfter on the verified path (leaf, intermediates, bundle CA): when it stops verifying. */
  expiresAt: Date;
  /** The bundle the path ends in: while the source hands out this same bundle, the path still holds. */
  bundle: X509Bundle;
}

/**
 * Verifies a peer's certificate chain (leaf first, then whatever intermediates the peer sent)
 * and returns its SPIFFE ID. Throws SvidVerificationError with a typed `reason`.
 */
export function verifyPeerCertificate(
  chain: readonly (X509Certificate | Uint8Array)[],
  bundles: X509BundleSource,
  options: VerifyPeerOptions = {},
): SpiffeId {
  return verifyPeerChain(chain, bundles, options).id;
}

/** verifyPeerCertificate, also saying until when the result holds and against which bundle. */
export function verifyPeerChain(
  chain: readonly (X509Certificate | Uint8Array)[],
  bundles: X509BundleSource,
  options: VerifyPeerOptions = {},
): VerifiedPeer {
  const now = options.now ?? new Date();
  const peer = options.peer ?? "client";
  if (chain.length === 0) throw new SvidVerificationError("no-certificate", `no ${peer} certificate`);
  const certs = chain.map(toX509);
  const leaf = certs[0]!;
  const id = checkLeaf(leaf);
  const bundle = bundles.getX509Bundle(id.trustDomain);
  if (!bundle || bundle.authorities.length === 0) {
    throw new SvidVerificationError("untrusted-trust-domain", `trust domain ${id.trustDomain.name} is not trusted`);
  }
  checkValidity(leaf, now, "certificate");
  const path = buildPath(leaf, certs.slice(1), bundle, now, 0, new Set([leaf.fingerprint256]));
  if (!path) {
    throw new SvidVerificationError(
      "untrusted-chain",
      `certificate of ${id.toString()} does not chain to the trust bundle of ${id.trustDomain.name}`,
    );
  }
  try {
    options.authorizer?.(id);
  } catch (err) {
    if (err instanceof SvidVerificationError) throw err;
    throw new SvidVerificationError("unauthorized", `${id.toString()} is not authorized`, { cause: err });
  }
  const expiresAt = new Date(Math.min(...[leaf, ...path].map((cert) => Date.parse(cert.validTo))));
  return { id, expiresAt, bundle };
}

/** The leaf rules of X509-SVID.md §2, §3.1 and §5.2; returns the leaf's SPIFFE ID. */
function checkLeaf(leaf: X509Certificate): SpiffeId {
  let facts;
  try {
    facts = certificateFacts(leaf);
  } catch (err) {
    throw new SvidVerificationError("malformed-certificate", "certificate extensions cannot be parsed", { cause: err });
  }
  if (facts.uriSans.length === 0)
    throw new SvidVerificationError("no-uri-san", "certificate has no URI SAN (not an X509-SVID)");
  if (facts.uriSans.length > 1) {
    throw new SvidVerificationError(
      "multiple-uri-sans",
      `certificate has ${facts.uriSans.length} URI SANs; an X509-SVID must have exactly one`,
    );
  }
  let id: SpiffeId;
  try {
    id = SpiffeId.parse(facts.uriSans[0]!);
  } catch (err) {
    throw new SvidVerificationError(
      "invalid-spiffe-id",
      `URI SAN ${JSON.stringify(facts.uriSans[0])} is not a SPIFFE ID`,
      {
        cause: err,
      },
    );
  }
  if (id.path === "") throw new SvidVerificationError("root-path", `leaf SPIFFE ID ${id.toString()} has no path`);
  if (facts.isCA) throw new SvidVerificationError("leaf-is-ca", "leaf certificate is a CA (basicConstraints cA=true)");
  if (facts.keyUsage?.keyCertSign || facts.keyUsage?.cRLSign) {
    throw new SvidVerificationError("leaf-key-usage", "leaf certificate has keyCertSign or cRLSign key usage");
  }
  return id;
}

/**
 * Depth-first search for an issuer path from `cert` to one of the bundle's authorities through
 * the peer-supplied intermediates. Each hop: the issuer's name matches and its key verifies the
 * signature; intermediates must be valid CAs with keyCertSign within their path length. Returns
 * the issuers above `cert`, the bundle's authority last; undefined when there is no path.
 */
function buildPath(
  cert: X509Certificate,
  intermediates: readonly X509Certificate[],
  bundle: X509Bundle,
  now: Date,
  depth: number,
  seen: Set<string>,
): X509Certificate[] | undefined {
  if (depth > MAX_CHAIN_DEPTH) return undefined;
  for (const authority of bundle.authorities) {
    if (!issued(authority, cert)) continue;
    checkValidity(authority, now, "trust bundle CA certificate");
    if (withinPathLength(authority, depth)) return [authority];
  }
  for (const candidate of intermediates) {
    if (seen.has(candidate.fingerprint256) || !issued(candidate, cert)) continue;
    const facts = certificateFacts(candidate);
    if (!facts.isCA || facts.keyUsage?.keyCertSign === false || !withinPathLength(candidate, depth)) continue;
    checkValidity(candidate, now, "intermediate certificate");
    const nextSeen = new Set(seen).add(candidate.fingerprint256);
    const above = buildPath(candidate, intermediates, bundle, now, depth + 1, nextSeen);
    if (above) return [candidate, ...above];
  }
  return undefined;
}

/** `issuer` issued `cert`: names (and key identifiers) match and the signature verifies. */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** A CA with pathLenConstraint n may have at most n intermediates below it. */
function withinPathLength(ca: X509Certificate, intermediatesBelow: number): boolean {
  const { pathLength } = certificateFacts(ca);
  return pathLength === undefined || intermediatesBelow <= pathLength;
}

function checkValidity(cert: X509Certificate, now: Date, what: string): void {
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  if (now > notAfter) throw new SvidVerificationError("expired", `${what} expired at ${notAfter.toISOString()}`);
  if (now < notBefore)
    throw new SvidVerificationError("not-yet-valid", `${what} is not valid before ${notBefore.toISOString()}`);
}

function toX509(cert: X509Certificate | Uint8Array, index: number): X509Certificate {
  if (cert instanceof X509Certificate) return cert;
  try {
    return new X509Certificate(cert);
  } catch (err) {
    throw new SvidVerificationError("malformed-certificate", `certificate ${index} cannot be parsed`, { cause: err });
  }
}
