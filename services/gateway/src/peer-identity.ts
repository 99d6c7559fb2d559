// The SPIFFE identity a client proved in the TLS handshake, verified once per connection (a
// connection's certificate cannot change) and handed to the authenticator through a context key.
// A client without a certificate is not an error: admins authenticate with headers instead.
import type { TLSSocket } from "node:tls";
import { createContextKey } from "@connectrpc/connect";
import { authorizePathPrefix, parseSatelliteId, SpiffeIdError, SvidVerificationError, TrustDomain, verifyTlsPeer, type X509Source } from "@harbor-satellite/spiffe";

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

/** The TLS socket under a request (for HTTP/2, Node's proxy of it), or undefined on plaintext. */
function tlsSocketOf(source: PeerSource): TLSSocket | undefined {
  const socket = source.socket as TLSSocket | undefined;
  return socket?.encrypted ? socket : undefined;
}

/** One key per connection: HTTP/2 hands every stream its own socket proxy, so key on the session. */
function connectionOf(source: PeerSource): object {
  return source.stream?.session ?? (source.socket as object);
}

export function createPeerVerifier(source: X509Source, trustDomain: string): PeerVerifier {
  const authorizer = authorizePathPrefix(TrustDomain.parse(trustDomain), "/satellite");
  const verified = new WeakMap<object, PeerIdentity>();
  const verify = (socket: TLSSocket): PeerIdentity => {
    const chain = socket.getPeerCertificate();
    if (!chain || Object.keys(chain).length === 0) return { kind: "none" };
    try {
      const id = verifyTlsPeer(socket, source, { authorizer, peer: "client" });
      const { name, region } = parseSatelliteId(id);
      return { kind: "satellite", spiffeId: id.toString(), name, region };
    } catch (error) {
      if (error instanceof SvidVerificationError || error instanceof SpiffeIdError) return { kind: "rejected", reason: error.message };
      throw error;
    }
  };
  return (req) => {
    const socket = tlsSocketOf(req);
    if (!socket) return { kind: "none" };
    const connection = connectionOf(req);
    let identity = verified.get(connection);
    if (!identity) {
      identity = verify(socket);
      verified.set(connection, identity);
    }
    return identity;
  };
}
