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
// URLs keep HARBOR_URL's scheme (the original satellite uses it to pick plain HTTP).

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
