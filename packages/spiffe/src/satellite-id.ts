// The project's SPIFFE ID conventions. A satellite is
// spiffe://<td>/satellite/region/<region>/<name> (what RegisterSatellite creates), Ground Control
// is spiffe://<td>/gc/main. For enrolment we also accept the Go original's shorter forms
// (/satellite → name "default"; /satellite/<name>), whose region is "default".
import { SpiffeIdError } from "./errors.js";
import { SpiffeId, type TrustDomain } from "./spiffe-id.js";

/** Region used when registration does not name one, and for the short ID forms. */
export const DEFAULT_REGION = "default";
/** Name the Go original gives a satellite whose ID path is exactly /satellite. */
export const DEFAULT_SATELLITE_NAME = "default";
/** Path prefix shared by every satellite ID; authorizers use it. */
export const SATELLITE_PATH_PREFIX = "/satellite/";

export interface SatelliteIdentity {
  name: string;
  region: string;
}

/** spiffe://<td>/satellite/region/<region>/<name>; region and name must be valid path segments. */
export function satelliteSpiffeId(trustDomain: TrustDomain, region: string, name: string): SpiffeId {
  return SpiffeId.fromSegments(trustDomain, "satellite", "region", region, name);
}

/** spiffe://<td>/gc/main, Ground Control's own workload ID. */
export function groundControlSpiffeId(trustDomain: TrustDomain): SpiffeId {
  return SpiffeId.fromSegments(trustDomain, "gc", "main");
}

/**
 * The satellite name and region an ID stands for. Accepts exactly the three shapes above;
 * anything else (another workload, /satellite/region/<r> without a name, deeper paths) throws,
 * where the Go original fell back to the last segment — a guess we do not want to authorize on.
 */
export function parseSatelliteId(id: SpiffeId): SatelliteIdentity {
  const segments = id.segments();
  if (segments[0] !== "satellite") {
    throw new SpiffeIdError(
      "not-a-satellite",
      `${id.toString()} is not a satellite ID (path must start with /satellite)`,
    );
  }
  if (segments.length === 1) return { name: DEFAULT_SATELLITE_NAME, region: DEFAULT_REGION };
  if (segments.length === 2 && segments[1] !== "region") return { name: segments[1]!, region: DEFAULT_REGION };
  if (segments.length === 4 && segments[1] === "region") return { name: segments[3]!, region: segments[2]! };
  throw new SpiffeIdError(
    "not-a-satellite",
    `${id.toString()} is not a satellite ID (expected /satellite, /satellite/<name> or /satellite/region/<region>/<name>)`,
  );
}
