// Where state artifacts live and what their `artifacts.json` says, exactly as the original Ground
// Control writes them (docs/upstream-harbor-satellite.md §6; Go `models.StateArtifact` et al.):
//
//   <HARBOR_URL>/satellite/group-state/<group>/state:latest          {"group","registry","artifacts":[…]}
//   <HARBOR_URL>/satellite/satellite-state/<satellite>/state:latest  {"states":[<group URLs>],"config":<URL>}
//   <HARBOR_URL>/satellite/config-state/<config>/state:latest        the config object itself
//
// One departure: the satellite state lists its group and config states PINNED BY DIGEST,
// `<HARBOR_URL>/satellite/group-state/<group>/state@sha256:<hex>`, where the original wrote
// `…/state:latest`. Then a group's or config's new content changes the satellite state's own
// bytes (and digest), so a satellite that finds the satellite-state digest unchanged knows that
// nothing it lists changed and needs no further request. go-containerregistry (`crane.Pull`)
// reads `repo@digest` references as it reads tags, and the JSON shape is unchanged.
//
// The original form (tag URLs) is still written for one reader: the copy SATELLITE_STATE_IN_HARBOR
// pushes to Harbor for ORIGINAL Go satellites. They track groups by URL and diff each group's old
// and new images under the same URL; a pinned URL changes with every group change, so they would
// drop the old "group" without deleting its images and take the new one as brand new.
//
// URLs keep HARBOR_URL's scheme (the original satellite uses it to pick plain HTTP). Key order and
// omitted empty fields follow Go's json.Marshal of the original structs (`omitempty` on every field).

/** The Harbor project holding every state artifact. */
export const STATE_PROJECT = "satellite";

export type StateKindName = "group" | "satellite" | "config";

/** Repository path inside STATE_PROJECT: `<kind>-state/<name>/state`. */
export function stateRepositoryInProject(kind: StateKindName, name: string): string {
  return `${kind}-state/${name}/state`;
}

/** Full repository name as the registry sees it: `satellite/<kind>-state/<name>/state`. */
export function stateRepository(kind: StateKindName, name: string): string {
  return `${STATE_PROJECT}/${stateRepositoryInProject(kind, name)}`;
}

/** `<harborUrl>/satellite/<kind>-state/<name>/state:latest`, as `AssembleGroupState` and friends format it. */
export function stateUrl(harborUrl: string, kind: StateKindName, name: string): string {
  return `${harborUrl.replace(/\/+$/, "")}/${stateRepository(kind, name)}:latest`;
}

/** `<harborUrl>/satellite/<kind>-state/<name>/state@<digest>`: one published artifact, forever. */
export function pinnedStateUrl(harborUrl: string, kind: StateKindName, name: string, digest: string): string {
  return `${harborUrl.replace(/\/+$/, "")}/${stateRepository(kind, name)}@${digest}`;
}

/** A published group or config state: its name and manifest digest. */
export interface PinnedState {
  name: string;
  digest: string;
}

/** One group artifact as the fleet stores it (common.v1.Artifact). */
export interface StateArtifactEntry {
  repository: string;
  tags: readonly string[];
  digest?: string;
  type?: string;
}

/** Group state: `registry` is always HARBOR_URL (the original overwrites whatever was sent). */
export function groupStateDocument(group: string, harborUrl: string, artifacts: readonly StateArtifactEntry[]): string {
  const entries = artifacts.map((a) => {
    // Go field order: repository, tag, labels, type, digest, deleted; empty values omitted.
    const entry: Record<string, unknown> = { repository: a.repository };
    if (a.tags.length > 0) entry.tag = [...a.tags];
    if (a.type) entry.type = a.type;
    if (a.digest) entry.digest = a.digest;
    return entry;
  });
  const doc: Record<string, unknown> = { group, registry: harborUrl.replace(/\/+$/, "") };
  if (entries.length > 0) doc.artifacts = entries;
  return JSON.stringify(doc);
}

/**
 * How a satellite state names its group and config states: `pinned` (`…/state@<digest>`), what
 * Ground Control serves; `original` (`…/state:latest`), the original's form, for the copy pushed
 * to Harbor for original Go satellites (see above).
 */
export type SatelliteStateForm = "pinned" | "original";

/**
 * Satellite state (Go `models.SatelliteStateArtifact`). Pinned, `states` is written even when
 * empty, unlike the original (which pushed nothing for a satellite without groups, so it could
 * never start): `[]` decodes to the same empty slice in Go and tells a reader plainly that the
 * satellite has no groups. The original form is exactly Go's json.Marshal: empty `states` omitted.
 */
export function satelliteStateDocument(
  harborUrl: string,
  groups: readonly PinnedState[],
  config: PinnedState | undefined,
  form: SatelliteStateForm = "pinned",
): string {
  const url = (kind: "group" | "config", state: PinnedState) =>
    form === "pinned"
      ? pinnedStateUrl(harborUrl, kind, state.name, state.digest)
      : stateUrl(harborUrl, kind, state.name);
  const doc: Record<string, unknown> = {};
  if (form === "pinned" || groups.length > 0) doc.states = groups.map((g) => url("group", g));
  if (config) doc.config = url("config", config);
  return JSON.stringify(doc);
}

/** Config state: the config object, re-serialised compactly. */
export function configStateDocument(config: Record<string, unknown>): string {
  return JSON.stringify(config);
}
