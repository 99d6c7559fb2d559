// The bodies of fuzz requests: manifests right, nearly right and wrong in ways a parser must
// survive, random bytes and blobs; and the well-formed steps of a real push (a session opened, a
// chunk, the closing PUT, a manifest over stored blobs), so the fuzzer reaches the states behind
// them. See requests.ts.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { Rng } from "@harbor-satellite/testkit/rng";
import { PRINTABLE, randomDigest } from "./request-parts.js";
import type { FuzzTarget } from "./requests.js";

/** Manifests: right, nearly right, and wrong in ways a parser must survive. */
function manifestBody(rng: Rng, target: FuzzTarget): Buffer {
  const [config, ...layers] = target.blobs;
  const valid = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { ...config, mediaType: MediaType.OciConfig },
    layers,
    annotations: { fuzz: String(rng.int(1e9)) },
  };
  switch (rng.int(10)) {
    case 0:
    case 1:
      return Buffer.from(JSON.stringify(valid));
    case 2:
      return Buffer.from(
        JSON.stringify({
          ...valid,
          layers: [{ mediaType: MediaType.OciLayer, digest: randomDigest(rng), size: rng.int(1e6) }],
        }),
      );
    case 3:
      return Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciIndex,
          manifests: [
            {
              mediaType: MediaType.OciManifest,
              digest: rng.chance(0.5) ? target.manifestDigest : randomDigest(rng),
              size: rng.int(5000),
              platform: { os: "linux", architecture: "amd64" },
            },
          ],
        }),
      );
    case 4:
      return Buffer.from(
        JSON.stringify({
          ...valid,
          subject: { mediaType: MediaType.OciManifest, digest: target.manifestDigest, size: 100 },
          artifactType: rng.string(rng.between(0, 30), PRINTABLE),
        }),
      );
    case 5: {
      const depth = rng.between(100, 200_000);
      return Buffer.from(
        `{"schemaVersion":2,"layers":${"[".repeat(depth)}${"]".repeat(rng.chance(0.5) ? depth : rng.int(depth))},"config":{}}`,
      );
    }
    case 6: {
      const bytes = Buffer.from(JSON.stringify(valid));
      for (let i = rng.between(1, 5); i > 0; i--) bytes[rng.int(bytes.length)] = rng.int(256);
      return rng.chance(0.3) ? bytes.subarray(0, rng.int(bytes.length)) : bytes;
    }
    case 7:
      return Buffer.from(
        JSON.stringify({
          ...valid,
          config: { ...valid.config, size: rng.pick([-1, 1e308, 2 ** 63, "12", null, 1.5]) },
          mediaType: rng.pick([MediaType.OciManifest, "x\ny", "ü", 7, null, MediaType.DockerManifest]),
        }),
      );
    case 8:
      return Buffer.from(
        JSON.stringify(
          rng.pick([
            null,
            [],
            "manifest",
            2,
            { schemaVersion: 1 },
            { schemaVersion: 2 },
            { schemaVersion: 2, manifests: "x" },
          ]),
        ),
      );
    default:
      return rng.bytes(rng.between(0, 512));
  }
}

export function body(rng: Rng, target: FuzzTarget, method: string): Buffer {
  if (method === "GET" || method === "HEAD" || method === "DELETE")
    return rng.chance(0.1) ? rng.bytes(rng.between(1, 64)) : Buffer.alloc(0);
  switch (rng.int(5)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
    case 2:
      return manifestBody(rng, target);
    case 3:
      return rng.bytes(rng.chance(0.9) ? rng.between(1, 4096) : rng.between(4096, 65536));
    default:
      return Buffer.from(`blob ${rng.int(1e9)}`);
  }
}

/** A well-formed step of a real push, with the target's credentials. */
export function pushStep(
  rng: Rng,
  target: FuzzTarget,
): { method: string; target: string; headers: [string, string][]; body: Buffer } {
  const data = Buffer.from(`pushed blob ${rng.int(1e9)}`);
  const auth: [string, string][] = target.authorization ? [["Authorization", target.authorization]] : [];
  const session = target.sessions.length > 0 ? rng.pick(target.sessions) : undefined;
  switch (rng.int(5)) {
    case 0:
      return {
        method: "POST",
        target: `/v2/${target.repository}/blobs/uploads/`,
        headers: auth,
        body: Buffer.alloc(0),
      };
    case 1:
      return {
        method: "POST",
        target: `/v2/${target.repository}/blobs/uploads/?digest=${digestOf(data)}`,
        headers: [...auth, ["Content-Type", "application/octet-stream"]],
        body: data,
      };
    case 2:
      if (session)
        return {
          method: "PATCH",
          target: session,
          headers: [...auth, ["Content-Range", `0-${data.length - 1}`], ["Content-Type", "application/octet-stream"]],
          body: data,
        };
      return {
        method: "GET",
        target: `/v2/${target.repository}/tags/list?n=${rng.int(3)}`,
        headers: auth,
        body: Buffer.alloc(0),
      };
    case 3:
      if (session) return { method: "PUT", target: `${session}?digest=${digestOf(data)}`, headers: auth, body: data };
      return {
        method: "HEAD",
        target: `/v2/${target.repository}/manifests/${target.tag}`,
        headers: auth,
        body: Buffer.alloc(0),
      };
    default:
      return {
        method: "PUT",
        target: `/v2/${target.repository}/manifests/${rng.chance(0.5) ? `t${rng.int(20)}` : target.tag}`,
        headers: [...auth, ["Content-Type", MediaType.OciManifest]],
        body: manifestBody(rng, target),
      };
  }
}
