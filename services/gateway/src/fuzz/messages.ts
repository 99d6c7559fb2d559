// Well-formed request messages with hostile contents, built from each rpc's schema: they pass
// the decoder and reach interceptors and implementations (names that are no names, extreme
// numbers, unknown enum values, long lists, deep nesting), where random bytes are refused at once.
import { create, ScalarType, toBinary, toJsonString, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Rng } from "./prng.js";
import { RPC_INPUTS, SATELLITE_NAMES } from "./vocabulary.js";

const STRINGS = [
  ...SATELLITE_NAMES,
  "web",
  "default",
  "apps/nginx",
  "1.27",
  "latest",
  "sha256:" + "ab".repeat(32),
  "{}",
  '{"a":1}',
  "[]",
  "null",
  "\u0000",
  "x".repeat(5000),
  "🛰",
  " ",
  "*",
  "http://127.0.0.1:1",
  "satellite/satellite-state/edge-1/state",
  "robot$edge-1",
];
const INT32 = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 7];
const UINT32 = [0, 1, 2 ** 32 - 1];
const INT64 = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 86_400n];
const UINT64 = [0n, 1n, 2n ** 64n - 1n];
const DOUBLES = [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1];

function scalar(rng: Rng, type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return rng.pick(STRINGS);
    case ScalarType.BYTES:
      return new Uint8Array(rng.bytes(rng.size(200)));
    case ScalarType.BOOL:
      return rng.chance(0.5);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return rng.pick(DOUBLES);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return rng.pick(INT64);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return rng.pick(UINT64);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return rng.pick(UINT32);
    default:
      return rng.pick(INT32);
  }
}

function value(rng: Rng, field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalar(rng, field.scalar);
    case "enum":
      return rng.chance(0.85) ? rng.pick(field.enum.values).number : rng.pick([99, -1]);
    case "message":
      return message(rng, field.message, depth + 1);
    case "list": {
      const n = rng.chance(0.9) ? rng.int(4) : rng.pick([50, 1000]);
      const one = () =>
        field.listKind === "scalar"
          ? scalar(rng, field.scalar)
          : field.listKind === "enum"
            ? rng.pick(field.enum.values).number
            : message(rng, field.message, depth + 1);
      return Array.from({ length: n }, one);
    }
    case "map": {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) {
        const key = String(scalar(rng, field.mapKey));
        out[key] =
          field.mapKind === "scalar"
            ? scalar(rng, field.scalar)
            : field.mapKind === "enum"
              ? rng.pick(field.enum.values).number
              : message(rng, field.message, depth + 1);
      }
      return out;
    }
  }
}

function message(rng: Rng, schema: DescMessage, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  if (depth > 3) return init;
  for (const field of schema.fields) {
    if (!rng.chance(0.7)) continue;
    if (field.oneof) {
      if (init[field.oneof.localName] === undefined)
        init[field.oneof.localName] = { case: field.localName, value: value(rng, field, depth) };
      continue;
    }
    init[field.localName] = value(rng, field, depth);
  }
  return init;
}

/** A request message for the rpc at `path`, encoded as `json` or binary protobuf; undefined when it cannot be (no such rpc). */
export function requestMessage(rng: Rng, path: string, json: boolean): Buffer | undefined {
  const schema = RPC_INPUTS.get(path);
  if (!schema) return undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const msg = create(schema, message(rng, schema, 0) as never);
      return json ? Buffer.from(toJsonString(schema, msg)) : Buffer.from(toBinary(schema, msg));
    } catch {
      // A value the encoder refuses (a Timestamp out of range, say): draw another.
    }
  }
  return undefined;
}
