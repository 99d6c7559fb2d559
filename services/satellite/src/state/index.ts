// Desired state from Ground Control's state artifacts, and one replication pass over it.
export { createStatePass } from "./state-pass.js";
export type { StatePass, StatePassOptions, StatePassResult, ImageError } from "./state-pass.js";
export { createStateReader, toAppliedState } from "./state-reader.js";
export type {
  StateReader,
  StateReaderOptions,
  StateRead,
  StateChanges,
  ReadGroup,
  ReadConfig,
  ReadFailure,
} from "./state-reader.js";
export { createStateFetcher } from "./state-fetcher.js";
export type { StateFetcher, StateFetcherOptions, FetchedManifest } from "./state-fetcher.js";
export {
  parseStateReference,
  resolveRegistryUrl,
  satelliteNameFromStateUrl,
  isPlainHttpHost,
  InvalidStateReferenceError,
} from "./state-reference.js";
export type { StateReference, StateReferenceOptions } from "./state-reference.js";
export { buildDesiredSet, planChanges } from "./desired-set.js";
export type { DesiredSet, StatePlan, CurrentImage, GroupInput, SkippedArtifact } from "./desired-set.js";
export {
  parseSatelliteStateDocument,
  parseGroupStateDocument,
  StateDocumentError,
} from "@harbor-satellite/state-artifact";
export type { SatelliteStateDocument, GroupStateDocument, GroupArtifact } from "@harbor-satellite/state-artifact";
export { loadAppliedState, saveAppliedState } from "./applied-state.js";
export type { AppliedState, AppliedGroup } from "./applied-state.js";
export { StatePayloadError, STATE_FILE_NAME } from "@harbor-satellite/state-artifact";
