// node:tls (https, http2) options for SPIFFE mTLS, built from an X509 source.
//
// Server: presents our SVID, asks for a client certificate and has OpenSSL verify it against
// every trust domain's CAs (`ca`, kept current on rotation by keepServerTlsCurrent), but lets
// every handshake finish (`rejectUnauthorized: false`): callers without an SVID (admins with a
// password) share the port. A presented certificate then counts only when both agree: the TLS
// stack verified the chain (`socket.authorized`: full RFC 5280 path validation, critical
// extensions, name constraints, EKU) and the SPIFFE rules hold (verify.ts: one URI SAN, leaf
// constraints, a path to the bundle of the peer's own trust domain). verifyTlsPeer does both,
// per connection or request (typed reason for the response); requireVerifiedClients at
// handshake time.
//
// Client: presents our SVID, lets OpenSSL check the server's chain against every bundle
// (`rejectUnauthorized: true`), then replaces Node's hostname check (checkServerIdentity) with
// full SVID verification against the bundle of the server's own trust domain plus an
// authorizer. Hostnames are never checked.
import { X509Certificate } from "node:crypto";
import type {
  ConnectionOptions,
  PeerCertificate,
  SecureContextOptions,
  SecureVersion,
  TLSSocket,
  Server as TlsServer,
} from "node:tls";
import type { Authorizer } from "./authorizer.js";
import { certificatesToPem } from "./der.js";
import { SvidVerificationError } from "./errors.js";
import type { SpiffeId } from "./spiffe-id.js";
import { verifyPeerCertificate, verifyPeerChain, type VerifiedPeer, type VerifyPeerOptions } from "./verify.js";
import type { X509BundleSource } from "./x509-bundle.js";
import type { X509Source } from "./x509-source.js";
import { x509SvidToPem } from "./x509-svid.js";

const DEFAULT_MIN_VERSION: SecureVersion = "TLSv1.2";

/** The TLS material for the current SVID: chain, key and every trust domain's authorities. */
export interface SvidTlsMaterial {
  cert: string;
  key: string;
  ca: string;
}

export interface ServerTlsOptions extends SvidTlsMaterial {
  requestCert: true;
  rejectUnauthorized: false;
  minVersion: SecureVersion;
}

export function svidTlsMaterial(source: X509Source): SvidTlsMaterial {
  const { cert, key } = x509SvidToPem(source.getX509Svid());
  return { cert, key, ca: certificatesToPem(source.getX509Bundles().allAuthorities()) };
}

/**
 * Options for https.createServer / http2.createSecureServer / tls.createServer. Spread them into
 * your own (ALPN etc.), then call keepServerTlsCurrent(server, source) for rotation.
 */
export function createServerTlsOptions(
  source: X509Source,
  options: { minVersion?: SecureVersion } = {},
): ServerTlsOptions {
  return {
    ...svidTlsMaterial(source),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: options.minVersion ?? DEFAULT_MIN_VERSION,
  };
}

/**
 * Swaps the server's SecureContext whenever the source rotates (a new SVID or new bundles), so
 * new handshakes present the new SVID and verify client chains against the new bundles' CAs
 * (`ca`) without a restart; open connections keep theirs. We use setSecureContext rather than an
 * SNICallback because clients dialling an IP send no SNI. Returns the unsubscribe function.
 */
export function keepServerTlsCurrent(
  server: { setSecureContext(options: SecureContextOptions): void },
  source: X509Source,
  options: { minVersion?: SecureVersion; onError?: (error: unknown) => void } = {},
): () => void {
  return source.watch(() => {
    try {
      server.setSecureContext({ ...svidTlsMaterial(source), minVersion: options.minVersion ?? DEFAULT_MIN_VERSION });
    } catch (err) {
      options.onError?.(err);
    }
  });
}

/** The certificates the peer presented, leaf first; [] when it presented none. */
export function peerCertificateChain(socket: Pick<TLSSocket, "getPeerCertificate">): X509Certificate[] {
  return chainOf(socket.getPeerCertificate(true));
}

/** The parts of a TLS socket peer verification reads; http2's `req.socket` proxy has them too. */
export type TlsPeerSocket = Pick<TLSSocket, "getPeerCertificate" | "authorized" | "authorizationError">;

/**
 * Verifies the X509-SVID the peer of a TLS socket presented (for a server: the client's) and
 * returns its SPIFFE ID; throws SvidVerificationError ("no client certificate", "trust domain
 * evil.test is not trusted", "certificate expired at …", "TLS verification of the client
 * certificate failed: …", …). Works on http2's `req.socket` too.
 */
export function verifyTlsPeer(
  socket: TlsPeerSocket,
  bundles: X509BundleSource,
  options: VerifyPeerOptions = {},
): SpiffeId {
  return verifyTlsPeerChain(socket, bundles, options).id;
}

/**
 * verifyTlsPeer, also saying until when the result holds and against which bundle, so a caller
 * that caches it per connection can re-check expiry per request without parsing again.
 */
export function verifyTlsPeerChain(
  socket: TlsPeerSocket,
  bundles: X509BundleSource,
  options: VerifyPeerOptions = {},
): VerifiedPeer {
  // The SPIFFE checks run first: their reasons ("certificate expired at …", "trust domain … is
  // not trusted") say more than OpenSSL's codes. The TLS stack's verdict is required as well.
  const verified = verifyPeerChain(peerCertificateChain(socket), bundles, options);
  if (socket.authorized !== true) {
    // Node types it as an Error; at run time it is OpenSSL's code as a string.
    const why = socket.authorizationError as unknown as string | Error | null | undefined;
    const code = why instanceof Error ? why.message : (why ?? "not verified");
    throw new SvidVerificationError(
      "tls-unverified",
      `TLS verification of the ${options.peer ?? "client"} certificate failed: ${code}`,
    );
  }
  return verified;
}

/**
 * Handshake-time enforcement for servers where every caller must have an SVID: connections whose
 * client SVID fails verification are destroyed right after the handshake. `onRejected` gets the
 * typed error (for logs). Returns the unsubscribe function.
 */
export function requireVerifiedClients(
  server: TlsServer,
  bundles: X509BundleSource,
  options: VerifyPeerOptions & { onRejected?: (error: SvidVerificationError, socket: TLSSocket) => void } = {},
): () => void {
  const onSecureConnection = (socket: TLSSocket) => {
    try {
      verifyTlsPeer(socket, bundles, { ...options, peer: "client" });
    } catch (err) {
      if (err instanceof SvidVerificationError) options.onRejected?.(err, socket);
      socket.destroy();
    }
  };
  server.on("secureConnection", onSecureConnection);
  return () => server.off("secureConnection", onSecureConnection);
}

/**
 * Options for https.request / http2.connect / tls.connect: present our SVID and accept only a
 * server whose SVID verifies and passes `authorizer`. Build them per connection (or per agent) so
 * a rotated SVID is used; verification always reads the source's current bundles.
 * Note: Node skips checkServerIdentity on resumed TLS sessions, so do not share a session cache
 * (e.g. one https.Agent) between options with different authorizers.
 */
export function createClientTlsOptions(
  source: X509Source,
  authorizer: Authorizer,
  options: { minVersion?: SecureVersion } = {},
): ConnectionOptions & SvidTlsMaterial {
  return {
    ...svidTlsMaterial(source),
    minVersion: options.minVersion ?? DEFAULT_MIN_VERSION,
    rejectUnauthorized: true,
    checkServerIdentity: (_hostname: string, cert: PeerCertificate) => {
      try {
        verifyPeerCertificate(chainOf(cert), source, { peer: "server", authorizer });
        return undefined;
      } catch (err) {
        return err as Error;
      }
    },
  };
}

/** Walks Node's issuerCertificate links (self-referencing at a root) into X509Certificates. */
function chainOf(cert: PeerCertificate | Record<string, never> | undefined): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current = cert as (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined;
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}
