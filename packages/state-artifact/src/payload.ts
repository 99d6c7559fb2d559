// The JSON a state artifact carries, read out of its manifest's layer. Accepted layouts:
//   - the original's crane.Image: Docker schema 2 (or OCI) manifest, one gzip(tar) layer with
//     the entry `artifacts.json`;
//   - the same with an uncompressed tar layer;
//   - an OCI 1.1 artifact whose layer is the raw JSON.
// Layouts are recognised by content (gzip magic, tar checksum, JSON), not only by media type, so
// an odd media type from some pusher does not matter. With several layers the last one holding
// the document wins, as `crane.Export` flattening does.
import { gunzipSync } from "node:zlib";
import { parseManifest, type Descriptor } from "@harbor-satellite/oci";
import { STATE_FILE_NAME } from "./image.js";
import { looksLikeTar, readTarEntry } from "./tar.js";

/** State documents are small; anything bigger is refused before it fills memory. */
export const MAX_STATE_BYTES = 16 * 1024 * 1024;

export class StatePayloadError extends Error {
  constructor(reason: string) {
    super(`state artifact unreadable: ${reason}`);
    this.name = "StatePayloadError";
  }
}

/** Parses the JSON document out of one layer's bytes, or undefined when this layer has none. */
export function payloadFromLayer(bytes: Buffer): unknown {
  let data = bytes;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_STATE_BYTES });
    } catch (error) {
      throw new StatePayloadError(`gzip layer: ${(error as Error).message}`);
    }
  }
  let json: Buffer | undefined = data;
  if (looksLikeTar(data)) json = readTarEntry(data, STATE_FILE_NAME);
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The layers to read, last first. */
export function stateLayers(manifestBytes: Buffer, mediaType?: string): Descriptor[] {
  const parsed = parseManifest(manifestBytes, mediaType);
  if (parsed.kind !== "manifest") throw new StatePayloadError("is an index, expected a single manifest");
  const layers = parsed.manifest.layers.filter((l) => l.size <= MAX_STATE_BYTES);
  if (layers.length === 0) throw new StatePayloadError("manifest has no layer of a readable size");
  return [...layers].reverse();
}

/** Reads layers (last first) until one yields the document. */
export async function readStatePayload(
  manifestBytes: Buffer,
  mediaType: string | undefined,
  fetchLayer: (layer: Descriptor) => Promise<Buffer>,
): Promise<unknown> {
  for (const layer of stateLayers(manifestBytes, mediaType)) {
    const payload = payloadFromLayer(await fetchLayer(layer));
    if (payload !== undefined) return payload;
  }
  throw new StatePayloadError(`no ${STATE_FILE_NAME} entry and no JSON layer`);
}
