// The heartbeat decoder against protobuf-es's fromBinary, which it stands in for: whatever it
// returns must be what fromBinary returns, and whatever fromBinary refuses it must leave to it.
import { create, fromBinary, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ScalarType } from "@bufbuild/protobuf";
import { createRng, fuzzSeed, type Rng } from "@harbor-satellite/testkit/rng";
import { describe, expect, it } from "vitest";
import { SyncRequestSchema, type SyncRequest } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { decodeSyncRequest } from "./sync-request-decoder.js";

const seed = fuzzSeed();
const library = (bytes: Uint8Array) => fromBinary(SyncRequestSchema, bytes);

/** fromBinary's verdict: the message, or the error it threw. */
function judge(bytes: Uint8Array): { message: SyncRequest } | { error: unknown } {
  try {
    return { message: library(bytes) };
  } catch (error) {
    return { error };
  }
}

/** The decoder either leaves the bytes to fromBinary or returns exactly what it returns. */
function expectSameAsLibrary(bytes: Uint8Array, context: string): SyncRequest | undefined {
  const ours = decodeSyncRequest(bytes);
  const theirs = judge(bytes);
  if (ours === undefined) return undefined;
  expect("message" in theirs, `${context}: decoded what fromBinary refuses`).toBe(true);
  expect(ours, context).toStrictEqual((theirs as { message: SyncRequest }).message);
  return ours;
}

const ALPHABET = "abc/:@.-_09 é✓😀\u0000\u007f";

function text(rng: Rng): string {
  return rng.string(rng.int(rng.chance(0.1) ? 300 : 20), ALPHABET);
}

function int64(rng: Rng): bigint {
  return BigInt.asIntN(64, (BigInt(rng.int(2 ** 32)) << 32n) | BigInt(rng.int(2 ** 32))) >> BigInt(rng.int(64));
}

/** A value for a scalar field; a field of a kind this does not know fails the test (decode it first). */
function scalar(field: DescField & { fieldKind: "scalar" }, rng: Rng): unknown {
  switch (field.scalar) {
    case ScalarType.STRING:
      return text(rng);
    case ScalarType.INT64:
      return int64(rng);
    case ScalarType.INT32:
      return (rng.int(2 ** 32) | 0) >> rng.int(32);
    case ScalarType.DOUBLE:
      return rng.pick([0, -0, 1.5, -3e300, Number.NaN, Number.POSITIVE_INFINITY, rng.next() * 100]);
    case ScalarType.BOOL:
      return rng.chance(0.5);
    default:
      throw new Error(`${field.parent.typeName}.${field.name}: scalar type ${field.scalar} has no sample`);
  }
}

/** A message with every field set (`all`) or a random subset, nested messages too. */
function sample(desc: DescMessage, rng: Rng, all: boolean): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of desc.fields) {
    if (!all && rng.chance(0.3)) continue;
    switch (field.fieldKind) {
      case "scalar":
        init[field.localName] = scalar(field, rng);
        break;
      case "message":
        init[field.localName] = create(field.message, sample(field.message, rng, all) as never);
        break;
      case "list":
        if (field.listKind !== "message") throw new Error(`${field.name}: ${field.listKind} lists have no sample`);
        init[field.localName] = Array.from({ length: all ? 1 + rng.int(4) : rng.int(6) }, () =>
          create(field.message, sample(field.message, rng, all) as never),
        );
        break;
      default:
        throw new Error(`${desc.typeName}.${field.name}: ${field.fieldKind} fields have no sample`);
    }
  }
  return init;
}

const encode = (rng: Rng, all: boolean) =>
  toBinary(SyncRequestSchema, create(SyncRequestSchema, sample(SyncRequestSchema, rng, all) as never));

describe(`decodeSyncRequest (FUZZ_SEED=${seed})`, () => {
  it("decodes every field of the schema, nested ones too, as fromBinary does", () => {
    const rng = createRng(seed);
    for (let i = 0; i < 200; i++) {
      const bytes = encode(rng, true);
      const ours = expectSameAsLibrary(bytes, `case ${i}`);
      expect(ours, `case ${i}: a field of the schema was left to fromBinary`).toBeDefined();
    }
  });

  it("agrees with fromBinary on random heartbeats, in any field order, fields repeated", () => {
    const rng = createRng(seed + 1);
    let ours = 0;
    for (let i = 0; i < 2000; i++) {
      // Concatenated encodings are one message: later scalars win, lists append, and a
      // timestamp sent twice merges (the decoder leaves that one to fromBinary).
      const parts = Array.from({ length: 1 + rng.int(3) }, () => encode(rng, false));
      const bytes = Buffer.concat(parts);
      if (expectSameAsLibrary(bytes, `case ${i}`) !== undefined) ours++;
    }
    expect(ours).toBeGreaterThan(1000);
  });

  it("never decodes damaged bytes differently from fromBinary", () => {
    const rng = createRng(seed + 2);
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(encode(rng, rng.chance(0.5)));
      const damaged = damage(bytes, rng);
      expectSameAsLibrary(damaged, `case ${i}: ${damaged.toString("hex")}`);
    }
  });

  it("leaves unknown fields, other wire types and invalid UTF-8 to fromBinary", () => {
    const known = toBinary(SyncRequestSchema, create(SyncRequestSchema, { satellite: "edge-1" }));
    const unknown = new BinaryWriter().tag(99, WireType.Varint).uint32(7).finish();
    const withUnknown = Buffer.concat([known, unknown]);
    expect(decodeSyncRequest(withUnknown)).toBeUndefined();
    expect(library(withUnknown).$unknown).toHaveLength(1);

    // satellite (14) as a varint: fromBinary reads it as a string anyway, so it is not ours.
    const otherWireType = new BinaryWriter().tag(14, WireType.Varint).uint32(3).finish();
    expect(decodeSyncRequest(otherWireType)).toBeUndefined();

    const invalidUtf8 = new BinaryWriter()
      .tag(14, WireType.LengthDelimited)
      .bytes(new Uint8Array([0xc3, 0x28]))
      .finish();
    expect(decodeSyncRequest(invalidUtf8)).toBeUndefined();
    expect(() => library(invalidUtf8)).toThrow();
  });
});

/** Flipped bytes, a cut, or inserted noise. */
function damage(bytes: Buffer, rng: Rng): Buffer {
  switch (rng.int(3)) {
    case 0: {
      const out = Buffer.from(bytes);
      for (let n = 1 + rng.int(3); n > 0 && out.length > 0; n--) out[rng.int(out.length)] ^= 1 << rng.int(8);
      return out;
    }
    case 1:
      return bytes.subarray(0, rng.int(bytes.length + 1));
    default: {
      const at = rng.int(bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), rng.bytes(1 + rng.int(6)), bytes.subarray(at)]);
    }
  }
}
