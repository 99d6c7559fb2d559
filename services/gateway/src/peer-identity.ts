// The SPIFFE identity a client proved in the TLS handshake, handed to the authenticator through a
// context key. A client without a certificate is not an error: admins authenticate with headers.
//
// A connection's certificate cannot change, so the full verification (TLS stack's verdict plus
// the SPIFFE rules, verifyTlsPeerChain) runs once per connection and is cached. What can change
// while a long-lived HTTP/2 connection stays open is time and the trust bundle, so every request
// still re-checks both, cheaply: the cached expiry (the earliest notAfter on the verified path) is
// one number comparison, and a rotated bundle (a new bundle object from the source) sends the
// connection through full verification again, against the new bundle.
import type { TLSSocket } from "node:tls";
import { createContextKey } from "@connectrpc/connect";
import {
  authorizePathPrefix,
  parseSatelliteId,
  SpiffeIdError,
  SvidVerificationError,
  TrustDomain,
  verifyTlsPeerChain,
  type X509Bundle,
  type X509Source,
} from "@harbor-satellite/spiffe";

export type PeerIdentity =
  | { kind: "none" }
  | { kind: "satellite"; spiffeId: string; name: string; region: string }
  | { kind: "rejected"; reason: string };

export const peerKey = createContextKey<PeerIdentity>({ kind: "none" }, { description: "verified TLS peer" });

/** What a request came over: an HTTP/1.1 or compat HTTP/2 request, or a raw HTTP/2 stream's session socket. */
export interface PeerSource {
  readonly socket: unknown;
  readonly stream?: { readonly session?: object };
}

export type PeerVerifier = (source: PeerSource) => PeerIdentity;

export interface PeerVerifierOptions {
  /** Milliseconds since the epoch; default Date.now. Tests move it past an SVID's notAfter. */
  now?: () => number;
}

/** A connection's verified identity, and what keeps it valid. */
interface Verified {
  identity: PeerIdentity;
  /** For a satellite: the earliest notAfter on its verified path, in ms. */
  expiresAtMs: number;
  /** For a satellite: the bundle it was verified against, and that bundle's trust domain. */
  bundle?: X509Bundle;
  trustDomain?: TrustDomain;
}

/** The TLS socket under a request (for HTTP/2, Node's proxy of it), or undefined on plaintext. */
function tlsSocketOf(source: PeerSource): TLSSocket | undefined {
  const socket = source.socket as TLSSocket | undefined;
  return socket?.encrypted ? socket : undefined;
}

/** One key per connection: HTTP/2 hands every stream its own socket proxy, so key on the session. */
function connectionOf(source: PeerSource): object {
  return source.stream?.session ?? (source.socket as object);
}

export function createPeerVerifier(
  source: X509Source,
  trustDomain: string,
  options: PeerVerifierOptions = {},
): PeerVerifier {
  const authorizer = authorizePathPrefix(TrustDomain.parse(trustDomain), "/satellite");
  const now = options.now ?? Date.now;
  const verified = new WeakMap<object, Verified>();
  const verify = (socket: TLSSocket): Verified => {
    const chain = socket.getPeerCertificate();
    if (!chain || Object.keys(chain).length === 0) return { identity: { kind: "none" }, expiresAtMs: Infinity };
    try {
      const peer = verifyTlsPeerChain(socket, source, { authorizer, peer: "client", now: new Date(now()) });
      const { name, region } = parseSatelliteId(peer.id);
      return {
        identity: { kind: "satellite", spiffeId: peer.id.toString(), name, region },
        expiresAtMs: peer.expiresAt.getTime(),
        bundle: peer.bundle,
        trustDomain: peer.id.trustDomain,
      };
    } catch (error) {
      if (error instanceof SvidVerificationError || error instanceof SpiffeIdError) {
        return { identity: { kind: "rejected", reason: error.message }, expiresAtMs: Infinity };
      }
      throw error;
    }
  };
  return (req) => {
    const socket = tlsSocketOf(req);
    if (!socket) return { kind: "none" };
    const connection = connectionOf(req);
    let entry = verified.get(connection);
    if (!entry || (entry.trustDomain && source.getX509Bundle(entry.trustDomain) !== entry.bundle)) {
      entry = verify(socket);
      verified.set(connection, entry);
    }
    // The leaf's notAfter, or an intermediate's or the CA's when earlier.
    if (now() > entry.expiresAtMs) {
      return {
        kind: "rejected",
        reason: `certificate expired at ${new Date(entry.expiresAtMs).toISOString()} while the connection was open`,
      };
    }
    return entry.identity;
  };
}
