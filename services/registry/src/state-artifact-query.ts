// The registry's read surface over `satellite_state_artifacts` for the other services (issue 14
// item 4): the heartbeat service's drift view joins each satellite's stored state through it.
import { QueryBuilder } from "drizzle-orm/pg-core";
import { satelliteStateArtifacts } from "@harbor-satellite/db";

/**
 * Each satellite's last stored state artifact (by satellite name): a subquery aliased
 * `satellite_state_artifacts` that PostgreSQL pulls up into the outer query, so joining it plans as
 * joining the table.
 */
export const storedSatelliteStates = new QueryBuilder()
  .select({
    satellite: satelliteStateArtifacts.satellite,
    manifestDigest: satelliteStateArtifacts.manifestDigest,
    updatedAt: satelliteStateArtifacts.updatedAt,
  })
  .from(satelliteStateArtifacts)
  .as("satellite_state_artifacts");
