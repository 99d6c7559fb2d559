// The state-artifact contract (docs/upstream-harbor-satellite.md §6): Ground Control writes with
// the writers, satellites read with the readers, and both are tested against each other and
// against the original Go project's bytes (fixtures/original-go).
export {
  STATE_PROJECT,
  pinnedStateUrl,
  stateRepository,
  stateRepositoryInProject,
  stateUrl,
  type StateKindName,
} from "./locations.js";
export {
  configStateDocument,
  goJson,
  groupStateDocument,
  satelliteStateDocument,
  type PinnedState,
  type SatelliteStateForm,
  type StateArtifactEntry,
} from "./write-documents.js";
export {
  parseGroupStateDocument,
  parseSatelliteStateDocument,
  StateDocumentError,
  type GroupArtifact,
  type GroupStateDocument,
  type RejectedArtifact,
  type SatelliteStateDocument,
} from "./read-documents.js";
export { buildStateImage, STATE_FILE_NAME, type StateImage } from "./image.js";
export { MAX_STATE_BYTES, payloadFromLayer, readStatePayload, stateLayers, StatePayloadError } from "./payload.js";
export { looksLikeTar, readTarEntry, tarFiles, tarHeader, TarFormatError, type TarHeaderOptions } from "./tar.js";
