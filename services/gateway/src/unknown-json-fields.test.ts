import { fromJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CreateGroupRequestSchema,
  UpdateGroupRequestSchema,
} from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { LogoutRequestSchema } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { MAX_SHOWN_KEY_CHARS, STRICT_JSON, unknownFieldMessage } from "./unknown-json-fields.js";

/** protobuf-es's own message for `json` decoded strictly as `schema`. */
function protobufMessage(schema: Parameters<typeof fromJsonString>[0], json: string): string {
  try {
    fromJsonString(schema, json, STRICT_JSON);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${json} decoded`);
}

describe("unknown JSON field messages", () => {
  it("name the field and the request, and list the request's fields without the deprecated ones", () => {
    const message = protobufMessage(UpdateGroupRequestSchema, '{"name":"web","artifact":[]}');
    expect(unknownFieldMessage(message, UpdateGroupRequestSchema)).toBe(
      'unknown field "artifact" in harbor.satellite.fleet.v1.UpdateGroupRequest (its fields: artifacts, group, clear_artifacts)',
    );
  });

  it("name the nested message the field is unknown in", () => {
    const message = protobufMessage(
      CreateGroupRequestSchema,
      '{"group":"web","artifacts":[{"repository":"library/nginx","tag":["1"]}]}',
    );
    expect(unknownFieldMessage(message, CreateGroupRequestSchema)).toBe(
      'unknown field "tag" in harbor.satellite.common.v1.Artifact (its fields: repository, tags, digest, type, tag_regex, semver_range, newest_count)',
    );
  });

  it("say when the request has no fields at all, and cut a long key, escaping what it holds", () => {
    expect(unknownFieldMessage(protobufMessage(LogoutRequestSchema, '{"x":1}'), LogoutRequestSchema)).toBe(
      'unknown field "x" in harbor.satellite.identity.v1.LogoutRequest (it has no fields)',
    );
    const long = `a"\\n${"b".repeat(1000)}`;
    const message = unknownFieldMessage(
      protobufMessage(LogoutRequestSchema, JSON.stringify({ [long]: 1 })),
      LogoutRequestSchema,
    );
    expect(message).toBe(
      `unknown field ${JSON.stringify(`${long.slice(0, MAX_SHOWN_KEY_CHARS)}…`)} in harbor.satellite.identity.v1.LogoutRequest (it has no fields)`,
    );
  });

  it("leave every other message alone", () => {
    const wrongType = protobufMessage(UpdateGroupRequestSchema, '{"group":7}');
    expect(wrongType).not.toMatch(/is unknown/);
    expect(unknownFieldMessage(wrongType, UpdateGroupRequestSchema)).toBeUndefined();
    expect(unknownFieldMessage("parse binary: premature EOF", UpdateGroupRequestSchema)).toBeUndefined();
  });
});
