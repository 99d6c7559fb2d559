// node:tls (https, http2) options for SPIFFE mTLS, built from an X509 source.
//
// Server: presents our SVID and asks for a client certificate but lets every handshake finish
// (`requestCert: true, rejectUnauthorized: false`): OpenSSL would check the chain against all
// bundles at once and say nothing useful, and callers without an SVID (admins with a password)
// may share the port. The SVID is then verified per connection or request with verifyTlsPeer
// (typed reason for the response) or at handshake time with requireVerifiedClients.
//
// Client: presents our SVID, lets OpenSSL check the server's chain against every bundle, then
// replaces Node's hostname check (checkServerIdentity) with full SVID verification against the
// bundle of the server's own trust domain plus an authorizer. Hostnames are never checked.
import { X509Certificate } from "node:crypto";
import type { ConnectionOptions, PeerCertificate, SecureContextOptions, SecureVersion, TLSSocket, Server as TlsServer } from "node:tls";
import type { Authorizer } from "./authorizer.js";
import { certificatesToPem } from "./der.js";
import { SvidVerificationError } from "./errors.js";
import type { SpiffeId } from "./spiffe-id.js";
import { verifyPeerCertificate, type VerifyPeerOptions } from "./verify.js";
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
export function createServerTlsOptions(source: X509Source, options: { minVersion?: SecureVersion } = {}): ServerTlsOptions {
  return {
    ...svidTlsMaterial(source),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: options.minVersion ?? DEFAULT_MIN_VERSION,
  };
}

/**
 * Swaps the server's SecureContext whenever the source rotates, so new handshakes present the new
 * SVID (and trust the new bundles) without a restart; open connections keep theirs. We use
 * setSecureContext rather than an SNICallback because clients dialling an IP send no SNI.
 * Returns the unsubscribe function.
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

/**
 * Verifies the X509-SVID the peer of a TLS socket presented (for a server: the client's) and
 * returns its SPIFFE ID; throws SvidVerificationError ("no client certificate", "trust domain
 * evil.test is not trusted", "certificate expired at …", …). Works on http2's `req.socket` too.
 */
export function verifyTlsPeer(
  socket: Pick<TLSSocket, "getPeerCertificate">,
  bundles: X509BundleSource,
  options: VerifyPeerOptions = {},
): SpiffeId {
  return verifyPeerCertificate(peerCertificateChain(socket), bundles, options);
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
