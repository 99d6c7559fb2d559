// RegisterSatellite: the SPIRE side of enrolling a satellite. Creates (or finds) the workload
// entry spiffe://<td>/satellite/region/<region>/<name> under the satellite's agent, and for
// join-token attestation a single-use join token that makes the edge SPIRE agent
// spiffe://<td>/agent/<name>. Safe to retry: the entry is found when it exists, a new token is
// issued each time, and the fleet record is created once.
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import {
  AttestationMethod,
  RegisterSatelliteResponseSchema,
  type RegisterSatelliteRequest,
  type RegisterSatelliteResponse,
} from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  renamedField,
  requireName,
  UnavailableError,
} from "@harbor-satellite/rpc";
import {
  isSpiffeId,
  SpireServerError,
  satelliteSpiffeId,
  TrustDomain,
  type SpireServerClient,
} from "@harbor-satellite/spiffe";

export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 600;
export const MAX_JOIN_TOKEN_TTL_SECONDS = 86_400;

export interface SpireRegistrationDeps {
  spire?: SpireServerClient;
  fleet?: Client<typeof FleetService>;
  trustDomain: string;
  spireServerAddress: string;
  spireServerPort: number;
}

const SELECTOR = /^[a-z0-9_-]+:.+$/i;

interface Registration {
  name: string;
  region: string;
  ttl: number;
  /** The config to create the satellite with; "" for the default. */
  config: string;
}

function validate(req: RegisterSatelliteRequest): Registration {
  const name = requireName("satellite", renamedField("satellite", req.satellite, "name", req.name));
  const config = renamedField("config", req.config, "config_name", req.configName);
  if (config !== "") requireName("config", config);
  const region = req.region === "" ? "default" : requireName("region", req.region);
  if (req.selectors.length === 0)
    throw new InvalidArgumentError(
      'selectors: at least one "type:value" selector is required, e.g. docker:label:app:satellite',
    );
  for (const s of req.selectors)
    if (!SELECTOR.test(s)) throw new InvalidArgumentError(`selector ${JSON.stringify(s)} is not "type:value"`);
  const ttl = Number(req.ttlSeconds) || DEFAULT_JOIN_TOKEN_TTL_SECONDS;
  if (ttl < 1 || ttl > MAX_JOIN_TOKEN_TTL_SECONDS)
    throw new InvalidArgumentError(`ttl_seconds must be between 1 and ${MAX_JOIN_TOKEN_TTL_SECONDS}`);
  if (req.attestation === AttestationMethod.SSHPOP && !req.parentAgentId)
    throw new InvalidArgumentError("parent_agent_id is required for sshpop attestation");
  if (req.parentAgentId && !isSpiffeId(req.parentAgentId))
    throw new InvalidArgumentError(`parent_agent_id ${JSON.stringify(req.parentAgentId)} is not a SPIFFE ID`);
  return { name, region, ttl, config };
}

/** The agent an x509pop satellite's SPIRE agent attested as: given, or found by its certificate CN. */
async function x509popAgent(spire: SpireServerClient, name: string, given: string): Promise<string> {
  if (given) return given;
  const agents = await spire.listAgents({
    byAttestationType: "x509pop",
    bySelectorMatch: { selectors: [`x509pop:subject:cn:${name}`], match: "superset" },
  });
  if (agents.length === 0)
    throw new FailedPreconditionError(
      `no x509pop agent with subject CN ${name} has attested yet: start its SPIRE agent first or pass parent_agent_id`,
    );
  return agents[0].id.toString();
}

/** Creates the satellite unless it exists; an existing one keeps its groups and config. */
async function ensureFleetSatellite(
  fleet: Client<typeof FleetService>,
  req: RegisterSatelliteRequest,
  { name, region, config }: Registration,
): Promise<void> {
  try {
    // The deprecated names too until v0.3: a fleet process not yet upgraded reads only those.
    await fleet.createSatellite({
      satellite: name,
      name,
      region,
      selectors: req.selectors,
      groups: req.groups,
      config,
      configName: config,
    });
  } catch (error) {
    if (!(error instanceof ConnectError) || error.code !== Code.AlreadyExists) throw error;
    const { satellite } = await fleet.getSatellite({ satellite: name, name });
    if (satellite && satellite.region !== region)
      throw new FailedPreconditionError(
        `satellite ${name} already exists in region ${satellite.region}, not ${region}`,
      );
  }
}

export async function registerSatellite(
  deps: SpireRegistrationDeps,
  req: RegisterSatelliteRequest,
): Promise<RegisterSatelliteResponse> {
  const registration = validate(req);
  const { name, region, ttl } = registration;
  if (!deps.spire)
    throw new UnavailableError("SPIRE is not configured: set SPIRE_SERVER_SOCKET to the SPIRE server's admin socket");
  if (!deps.fleet) throw new UnavailableError("registration needs the fleet service");
  const td = TrustDomain.parse(deps.trustDomain);
  try {
    let parentAgentId = req.parentAgentId;
    let joinToken: { value: string; expiresAt: Date } | undefined;
    if (req.attestation === AttestationMethod.X509POP)
      parentAgentId = await x509popAgent(deps.spire, name, req.parentAgentId);
    else if (req.attestation !== AttestationMethod.SSHPOP) {
      parentAgentId = `spiffe://${td.name}/agent/${name}`;
      joinToken = await deps.spire.createJoinToken({ ttl, agentId: parentAgentId });
    }
    const spiffeId = satelliteSpiffeId(td, region, name);
    const { entry } = await deps.spire.createEntry({ spiffeId, parentId: parentAgentId, selectors: req.selectors });
    await ensureFleetSatellite(deps.fleet, req, registration);
    return create(RegisterSatelliteResponseSchema, {
      satellite: name,
      region,
      spiffeId: spiffeId.toString(),
      parentAgentId,
      joinToken: joinToken ? { value: joinToken.value, expireTime: timestampFromDate(joinToken.expiresAt) } : undefined,
      spireServerAddress: deps.spireServerAddress,
      spireServerPort: deps.spireServerPort,
      trustDomain: td.name,
      entryId: entry.id,
    });
  } catch (error) {
    if (error instanceof SpireServerError) throw new UnavailableError(`SPIRE server refused: ${error.message}`, error);
    throw error;
  }
}
