// Reads state artifacts back the way an original Go satellite does (crane.Pull + crane.Export:
// pull the manifest, take the single layer, gunzip, untar, read `artifacts.json`), with the
// shared OCI client and robot credentials.
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { createRegistryClient } from "@harbor-satellite/oci";

export interface ReadState {
  json: unknown;
  manifest: {
    mediaType: string;
    config: { mediaType: string; digest: string };
    layers: Array<{ mediaType: string; digest: string }>;
  };
  config: { rootfs: { type: string; diff_ids: string[] } };
  /** sha256 of the uncompressed layer. */
  tarDigest: string;
  digest: string;
}

/** The entries of a tar archive (regular files only). */
export function untar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0", 8);
    offset += 512;
    files.set(name, Buffer.from(tar.subarray(offset, offset + size)));
    offset += Math.ceil(size / 512) * 512;
  }
  return files;
}

export async function readState(
  registryUrl: string,
  repository: string,
  credentials: { username: string; password: string },
): Promise<ReadState> {
  const client = createRegistryClient({ url: registryUrl, credentials, retry: { attempts: 1 } });
  try {
    const manifest = await client.getManifest(repository, "latest");
    const parsed = JSON.parse(manifest.bytes.toString("utf8")) as ReadState["manifest"];
    const config = JSON.parse(
      (await client.getBlobBytes(repository, parsed.config.digest)).toString("utf8"),
    ) as ReadState["config"];
    if (parsed.layers.length !== 1) throw new Error(`expected one layer, got ${parsed.layers.length}`);
    const tar = gunzipSync(await client.getBlobBytes(repository, parsed.layers[0].digest));
    const entry = untar(tar).get("artifacts.json");
    if (!entry) throw new Error("no artifacts.json in the layer");
    return {
      json: JSON.parse(entry.toString("utf8")),
      manifest: parsed,
      config,
      tarDigest: `sha256:${createHash("sha256").update(tar).digest("hex")}`,
      digest: manifest.digest,
    };
  } finally {
    client.close();
  }
}
