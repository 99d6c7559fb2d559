// How the agent reaches Ground Control: app_config.tls for the server's certificate, and the
// identity it shows — the ZTR token, or in SPIFFE mode its X.509-SVID from the Workload API (a
// source that returns at once, so the registry serves while the Workload API is unreachable).
import { readFile } from "node:fs/promises";
import type { X509Source } from "@harbor-satellite/spiffe";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { AgentOptions } from "./agent-options.js";
import {
  createGroundControlClient,
  type GroundControlClient,
  type GroundControlClientOptions,
} from "./ground-control-client.js";

export interface GroundControlConnection {
  client: GroundControlClient;
  options: GroundControlClientOptions;
  close(): Promise<void>;
}

export async function connectGroundControl(
  options: Pick<AgentOptions, "spiffe" | "token">,
  config: SatelliteConfig,
  deps: {
    x509Source?: X509Source;
    groundControl?: (options: GroundControlClientOptions) => GroundControlClient;
  },
): Promise<GroundControlConnection> {
  let source = deps.x509Source;
  let ownSource: X509Source | undefined;
  if (options.spiffe && !source) {
    const { createX509Source } = await import("@harbor-satellite/spiffe");
    source = ownSource = await createX509Source({ socket: options.spiffe.endpointSocket, readyTimeoutMs: 0 });
  }
  const { tls } = config.app_config;
  const clientOptions: GroundControlClientOptions = {
    url: config.app_config.ground_control_url,
    // app_config.tls (the original used it for Ground Control only; here Harbor calls use it too).
    tls: { ca: tls.ca_file ? await readFile(tls.ca_file, "utf8") : undefined, rejectUnauthorized: !tls.skip_verify },
    token: options.spiffe ? undefined : options.token,
    spiffe: options.spiffe && source ? { source, expectedServerId: options.spiffe.expectedServerId } : undefined,
  };
  const client = (deps.groundControl ?? createGroundControlClient)(clientOptions);
  return {
    client,
    options: clientOptions,
    async close() {
      client.close();
      await ownSource?.close();
    },
  };
}
