// What the satellite last applied, kept in `<data-dir>/state.json` so a restart neither re-pulls
// state artifacts nor forgets which images its groups wanted: the satellite-state document and
// digest, each group's digest and artifacts, the config digest, and the images (entities) the
// pass asked for. Written atomically; a missing or unreadable file means "nothing applied yet".
import type { DesiredImage, OwnedImage } from "../replication/desired-image.js";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { readOptional } from "../fs/read-optional.js";
import type { GroupArtifact, SatelliteStateDocument } from "@harbor-satellite/state-artifact";

export interface AppliedGroup {
  url: string;
  digest: string;
  group: string;
  registry: string;
  artifacts: GroupArtifact[];
}

export interface AppliedState {
  version: 1;
  satellite_state_url: string;
  satellite_state_digest: string;
  satellite_state: SatelliteStateDocument;
  config_url?: string;
  config_digest?: string;
  groups: AppliedGroup[];
  /** The desired images of that pass (the original's entities). */
  images: DesiredImage[];
  /** What the replication engine stored for them (local and upstream digests), for untagging later. */
  owned?: OwnedImage[];
  /** Images no group wants any more, kept (tagged) while the store quota allows (retention.ts). */
  retained?: OwnedImage[];
  /**
   * True when the pass applied everything: every group read and every image replicated. Only
   * then does an unchanged satellite-state digest end the next pass early; otherwise the next
   * pass retries what failed (re-using unchanged group documents by digest).
   */
  complete: boolean;
  applied_at: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function isAppliedState(value: unknown): value is AppliedState {
  if (!isObject(value) || value.version !== 1) return false;
  return (
    typeof value.satellite_state_url === "string" &&
    typeof value.satellite_state_digest === "string" &&
    isObject(value.satellite_state) &&
    Array.isArray(value.groups) &&
    Array.isArray(value.images) &&
    typeof value.complete === "boolean"
  );
}

/** The applied state, or undefined when there is none (first start, or a file this version cannot read). */
export async function loadAppliedState(path: string): Promise<AppliedState | undefined> {
  const text = await readOptional(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isAppliedState(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function saveAppliedState(path: string, state: AppliedState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
