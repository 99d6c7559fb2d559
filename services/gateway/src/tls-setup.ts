// How Ground Control's listener is secured, from its config: plaintext, TLS from certificate
// files, or SPIFFE mTLS with its own SVID from the Workload API. In SPIFFE mode the TLS options
// carry the trust bundles' CAs (`ca`) and ask for a client certificate, which OpenSSL verifies
// against them; both the SVID and the CAs follow the Workload API's rotations without a restart.
// A client SVID counts only when OpenSSL verified it and the SPIFFE rules hold (peer-identity.ts,
// per connection), and its expiry is checked again on every request.
import { readFile } from "node:fs/promises";
import type { SecureServerOptions } from "node:http2";
import {
  createServerTlsOptions,
  createX509Source,
  keepServerTlsCurrent,
  type X509Source,
} from "@harbor-satellite/spiffe";
import type { Logger } from "@harbor-satellite/telemetry";
import type { GatewayConfig } from "./config.js";
import type { ListenOptions } from "./transport/listener.js";
import { createPeerVerifier, type PeerVerifier } from "./peer-identity.js";

export interface TlsSetup {
  tls?: SecureServerOptions;
  onTlsServer?: ListenOptions["onTlsServer"];
  verifyPeer: PeerVerifier;
  mode: "plaintext" | "tls" | "spiffe-mtls";
  close(): Promise<void>;
}

const noPeer: PeerVerifier = () => ({ kind: "none" });

export async function setUpTls(config: GatewayConfig, logger: Logger): Promise<TlsSetup> {
  if (config.spiffe) {
    const source: X509Source = await createX509Source({ socket: config.spiffe.endpointSocket, readyTimeoutMs: 30_000 });
    logger.info({ spiffe_id: source.getX509Svid().id.toString() }, "serving SPIFFE mTLS with our SVID");
    return {
      tls: { ...createServerTlsOptions(source), ALPNProtocols: ["h2", "http/1.1"] },
      onTlsServer: (server) => {
        keepServerTlsCurrent(server, source, {
          onError: (err) => logger.error({ err }, "could not load the rotated SVID"),
        });
      },
      verifyPeer: createPeerVerifier(source, config.trustDomain),
      mode: "spiffe-mtls",
      close: async () => source.close(),
    };
  }
  if (config.tls) {
    const [cert, key] = await Promise.all([readFile(config.tls.certFile), readFile(config.tls.keyFile)]);
    return { tls: { cert, key }, verifyPeer: noPeer, mode: "tls", close: async () => {} };
  }
  return { verifyPeer: noPeer, mode: "plaintext", close: async () => {} };
}
