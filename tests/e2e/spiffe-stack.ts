// The SPIFFE half of an end-to-end stack: a test CA, a fake SPIRE agent's Workload API for Ground
// Control and one for the edge site, and a fake SPIRE server Ground Control registers satellites
// with. `startFleetStack({ spiffe: true })` starts one and runs Ground Control on it (mTLS with its
// SVID); a test then registers its satellite with `registerSpiffeSatellite` and starts it with
// `startSpiffeSatellite`.
import type { ConnectionOptions } from "node:tls";
import { AttestationMethod } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { FakeSpireServer, FakeWorkloadApi, TestCA } from "@harbor-satellite/testkit/spiffe";
import { startSatelliteProcess, type AdminClients } from "./agent-helpers.js";
import type { RunningProcess } from "./processes.js";

export const TRUST_DOMAIN = "harbor-satellite.local";

export interface SpiffeTrust {
  trustDomain: string;
  ca: TestCA;
  /** Ground Control's Workload API, holding its SVID (spiffe://<td>/gc/main). */
  gcAgent: FakeWorkloadApi;
  /** The edge site's Workload API: empty until a satellite is registered and attested. */
  edgeAgent: FakeWorkloadApi;
  spire: FakeSpireServer;
  /** Ground Control's environment for SPIFFE mode. */
  groundControlEnv: Record<string, string>;
  /** An admin has no SVID: it trusts the CA and checks Ground Control's SPIFFE ID, not a hostname. */
  adminTls: ConnectionOptions;
  stop(): Promise<void>;
}

export async function startSpiffeTrust(trustDomain = TRUST_DOMAIN): Promise<SpiffeTrust> {
  const ca = await TestCA.create(trustDomain);
  const [gcAgent, edgeAgent, spire] = await Promise.all([
    FakeWorkloadApi.start(),
    FakeWorkloadApi.start(),
    FakeSpireServer.start({ ca }),
  ]);
  gcAgent.setIdentity({ svids: [await ca.issueSvid(`spiffe://${trustDomain}/gc/main`)], bundle: ca.bundle() });
  return {
    trustDomain,
    ca,
    gcAgent,
    edgeAgent,
    spire,
    groundControlEnv: {
      TRUST_DOMAIN: trustDomain,
      SPIFFE_ENDPOINT_SOCKET: gcAgent.address,
      SPIRE_SERVER_SOCKET: spire.socketPath,
    },
    adminTls: { ca: ca.certificate.toString(), checkServerIdentity: () => undefined },
    stop: async () => {
      await Promise.all([gcAgent.stop(), edgeAgent.stop(), spire.stop()]);
    },
  };
}

export interface SpiffeSatelliteRegistration {
  satellite: string;
  region: string;
  groups: string[];
  config: string;
}

/**
 * Registers the satellite with a join token, attests the edge SPIRE agent with it once, and has
 * the edge Workload API issue the satellite's SVID. Returns Ground Control's answer.
 */
export async function registerSpiffeSatellite(
  admin: AdminClients,
  trust: SpiffeTrust,
  registration: SpiffeSatelliteRegistration,
) {
  const reg = await admin.identity.registerSatellite({
    ...registration,
    selectors: ["docker:label:app:satellite"],
    attestation: AttestationMethod.JOIN_TOKEN,
  });
  await trust.spire.attestAgent(reg.joinToken!.value);
  trust.edgeAgent.setIdentity({ svids: [await trust.ca.issueSvid(reg.spiffeId)], bundle: trust.ca.bundle() });
  return reg;
}

export interface SpiffeSatelliteOptions {
  gcUrl: string;
  trust: SpiffeTrust;
  dataDir: string;
  registryPort: number;
  env?: Record<string, string>;
}

/** A `satellite` process in SPIFFE mode, enrolling with the edge Workload API's SVID. */
export function startSpiffeSatellite(options: SpiffeSatelliteOptions): RunningProcess {
  return startSatelliteProcess({
    ...options,
    args: ["--spiffe-enabled", "--spiffe-endpoint-socket", options.trust.edgeAgent.address],
  });
}
