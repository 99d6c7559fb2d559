// A JSON request naming a field its message does not have is refused on every serving layer (the
// router and the lean unary path decode with ignoreUnknownFields: false, STRICT_JSON): a misspelt
// field must not be read as an absent one, because absent has a meaning of its own (UpdateGroup
// with "artifact" for "artifacts" once emptied a group; IssueZtrToken with "ttl" issued a 24 h
// token). protobuf-es says `cannot decode message <type> from JSON: key "<key>" is unknown`; this
// says it in the words of a curl user, lists the fields the message does have (deprecated ones
// left out: they are on their way out), and keeps a huge key from becoming a huge error message
// (which gRPC carries in a header).
import type { DescField, DescMessage } from "@bufbuild/protobuf";

/** What the router and the lean unary path decode JSON requests with. */
export const STRICT_JSON = { ignoreUnknownFields: false } as const;

const PROTOBUF_WORDS = /^cannot decode message ([A-Za-z0-9_.]+) from JSON: key "(.*)" is unknown$/s;
/** Keys longer than this are shown cut, with "…". */
export const MAX_SHOWN_KEY_CHARS = 64;

/**
 * Our message for protobuf-es's unknown-key error while decoding `input` (or a message nested in
 * it), e.g. `unknown field "artifact" in harbor.satellite.fleet.v1.UpdateGroupRequest (its
 * fields: group, artifacts, clear_artifacts)`; undefined for any other message.
 */
export function unknownFieldMessage(message: string, input: DescMessage): string | undefined {
  const match = PROTOBUF_WORDS.exec(message);
  if (!match) return undefined;
  const [, typeName, key] = match;
  const shown = key.length > MAX_SHOWN_KEY_CHARS ? `${key.slice(0, MAX_SHOWN_KEY_CHARS)}…` : key;
  const desc = findMessage(input, typeName);
  const fields = desc?.fields.filter((f) => !f.deprecated).map((f) => f.name);
  const hint =
    fields === undefined ? "" : fields.length === 0 ? " (it has no fields)" : ` (its fields: ${fields.join(", ")})`;
  return `unknown field ${JSON.stringify(shown)} in ${typeName}${hint}`;
}

/** `root` or the message type of one of its fields, however deep, by full name. */
function findMessage(root: DescMessage, typeName: string): DescMessage | undefined {
  const seen = new Set<string>();
  const queue = [root];
  for (let next = queue.shift(); next; next = queue.shift()) {
    if (next.typeName === typeName) return next;
    if (seen.has(next.typeName)) continue;
    seen.add(next.typeName);
    for (const field of next.fields) {
      const nested = messageOf(field);
      if (nested) queue.push(nested);
    }
  }
  return undefined;
}

function messageOf(field: DescField): DescMessage | undefined {
  switch (field.fieldKind) {
    case "message":
      return field.message;
    case "list":
      return field.listKind === "message" ? field.message : undefined;
    case "map":
      return field.mapKind === "message" ? field.message : undefined;
    default:
      return undefined;
  }
}
