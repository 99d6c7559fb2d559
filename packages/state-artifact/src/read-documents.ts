// The JSON inside state artifacts, in the original's shapes (docs/upstream-harbor-satellite.md §6):
//   satellite state  {"states":[<group URLs>],"config":"<config URL>"}
//   group state      {"group","registry","artifacts":[{"repository","tag":[…],"labels","type","digest","deleted"}]}
// A malformed document is refused whole; a malformed artifact inside a good group is set aside
// with its reason, so one bad entry never blocks the rest of the group (the original's #434).
import { isDigest, isRepositoryName, isTag } from "@harbor-satellite/oci";

export interface SatelliteStateDocument {
  states: string[];
  config?: string;
}

export interface GroupArtifact {
  repository: string;
  tags: string[];
  type?: string;
  digest?: string;
  deleted: boolean;
}

export interface RejectedArtifact {
  index: number;
  repository?: string;
  reason: string;
}

export interface GroupStateDocument {
  group: string;
  registry: string;
  artifacts: GroupArtifact[];
  rejected: RejectedArtifact[];
}

export class StateDocumentError extends Error {
  constructor(kind: string, reason: string) {
    super(`${kind} state document invalid: ${reason}`);
    this.name = "StateDocumentError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function parseSatelliteStateDocument(raw: unknown): SatelliteStateDocument {
  if (!isObject(raw)) throw new StateDocumentError("satellite", "not a JSON object");
  const states = raw.states ?? [];
  if (!Array.isArray(states) || !states.every((s) => typeof s === "string" && s.trim() !== ""))
    throw new StateDocumentError("satellite", "states must be a list of URLs");
  if (raw.config !== undefined && raw.config !== null && typeof raw.config !== "string")
    throw new StateDocumentError("satellite", "config must be a URL");
  const doc: SatelliteStateDocument = { states: [...new Set(states.map((s: string) => s.trim()))] };
  if (typeof raw.config === "string" && raw.config.trim() !== "") doc.config = raw.config.trim();
  return doc;
}

function readArtifact(raw: unknown): GroupArtifact | string {
  if (!isObject(raw)) return "not an object";
  if (typeof raw.repository !== "string" || !isRepositoryName(raw.repository))
    return `bad repository ${JSON.stringify(raw.repository)}`;
  // `tag` is singular but holds a list in the original; a plain string is taken too.
  const tagValue = raw.tag ?? raw.tags ?? [];
  const tags = typeof tagValue === "string" ? [tagValue] : tagValue;
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) return "tag must be a list of strings";
  const bad = tags.find((t: string) => !isTag(t));
  if (bad !== undefined) return `bad tag ${JSON.stringify(bad)}`;
  if (
    raw.digest !== undefined &&
    raw.digest !== null &&
    raw.digest !== "" &&
    (typeof raw.digest !== "string" || !isDigest(raw.digest))
  )
    return `bad digest ${JSON.stringify(raw.digest)}`;
  const artifact: GroupArtifact = {
    repository: raw.repository,
    tags: [...new Set(tags as string[])],
    deleted: raw.deleted === true,
  };
  if (typeof raw.type === "string" && raw.type !== "") artifact.type = raw.type;
  if (typeof raw.digest === "string" && raw.digest !== "") artifact.digest = raw.digest;
  return artifact;
}

export function parseGroupStateDocument(raw: unknown): GroupStateDocument {
  if (!isObject(raw)) throw new StateDocumentError("group", "not a JSON object");
  if (typeof raw.group !== "string" || raw.group === "") throw new StateDocumentError("group", "group name missing");
  if (raw.registry !== undefined && typeof raw.registry !== "string")
    throw new StateDocumentError("group", "registry must be a string");
  const list = raw.artifacts ?? [];
  if (!Array.isArray(list)) throw new StateDocumentError("group", "artifacts must be a list");
  const artifacts: GroupArtifact[] = [];
  const rejected: RejectedArtifact[] = [];
  list.forEach((entry, index) => {
    const result = readArtifact(entry);
    if (typeof result === "string")
      rejected.push({
        index,
        repository: isObject(entry) && typeof entry.repository === "string" ? entry.repository : undefined,
        reason: result,
      });
    else artifacts.push(result);
  });
  return {
    group: raw.group,
    registry: typeof raw.registry === "string" ? raw.registry.trim() : "",
    artifacts,
    rejected,
  };
}
