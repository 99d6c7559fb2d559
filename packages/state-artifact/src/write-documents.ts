// The JSON documents inside state artifacts, as Ground Control writes them: key order and
// omitted empty fields follow Go's json.Marshal of the original structs (`omitempty` on every
// field; fixtures/original-go holds the original's bytes and the tests compare against them).
import { pinnedStateUrl, stateUrl } from "./locations.js";

/**
 * JSON as Go's json.Marshal writes it: compact, with <, >, & and U+2028/U+2029 escaped. They can
 * only occur inside strings, so escaping them in the serialised text is exact.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
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
  return goJson(doc);
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
  return goJson(doc);
}

/** Config state: the config object, re-serialised compactly. */
export function configStateDocument(config: Record<string, unknown>): string {
  return goJson(config);
}
