// The parts of a fuzz request other than its body: repository names, references (tags and
// digests) and upload ids, right and wrong; paths over the registry's routes and beside them; the
// spec's query parameters; Authorization headers, valid and garbage. See requests.ts.
import type { Rng } from "@harbor-satellite/testkit/rng";
import type { FuzzTarget } from "./requests.js";

export const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
const TAG_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
export const PRINTABLE =
  " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const HEX = "0123456789abcdef";

function name(rng: Rng, target: FuzzTarget): string {
  switch (rng.int(12)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return target.repository;
    case 4:
      return Array.from({ length: rng.between(1, 4) }, () => rng.string(rng.between(1, 12), LOWER)).join(
        rng.pick(["/", "/", "-", ".", "__"]),
      );
    case 5:
      return rng.pick([
        "Fuzz/App",
        "a/../b",
        "..",
        "%2e%2e/x",
        "a//b",
        "-a",
        "a/",
        "_catalog",
        "a%2Fb",
        "a%00b",
        "%C3%BC",
        "a%zzb",
        "v2",
        "fuzz/app/manifests/x",
      ]);
    case 6:
      return "a".repeat(rng.between(200, 6000));
    case 7:
      return `${target.repository}/${rng.string(rng.between(1, 8), LOWER)}`;
    case 8:
      return percentMangle(rng, target.repository);
    default:
      return rng.string(rng.between(1, 30), LOWER + "/._-");
  }
}

function percentMangle(rng: Rng, text: string): string {
  let out = "";
  for (const ch of text) {
    if (!rng.chance(0.2)) out += ch;
    else if (rng.chance(0.7)) out += `%${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += rng.pick(["%", "%G1", "%0", "%00", "%ff", "%2F", "%25"]);
  }
  return out;
}

export function randomDigest(rng: Rng): string {
  return rng.chance(0.85) ? `sha256:${rng.string(64, HEX)}` : `sha512:${rng.string(128, HEX)}`;
}

function digestish(rng: Rng, target: FuzzTarget): string {
  switch (rng.int(8)) {
    case 0:
      return target.manifestDigest;
    case 1:
    case 2:
      return rng.pick(target.blobs).digest;
    case 3:
      return randomDigest(rng);
    case 4:
      return rng.pick([
        "sha256:xyz",
        "md5:abcd",
        `sha256:${"a".repeat(63)}`,
        `sha256:${"A".repeat(64)}`,
        "sha256:",
        ":",
        "sha512:abc",
        `sha256+b64:${"a".repeat(43)}`,
      ]);
    case 5:
      return rng.pick(target.blobs).digest.replace(":", rng.pick(["%3A", "%3a", "%253A"]));
    case 6:
      return `sha256:${rng.string(64, HEX)}${rng.string(rng.between(1, 100), HEX)}`;
    default:
      return rng.string(rng.between(0, 80), PRINTABLE.replace(/[ ?#/]/g, ""));
  }
}

function reference(rng: Rng, target: FuzzTarget): string {
  switch (rng.int(6)) {
    case 0:
      return target.tag;
    case 1:
      return rng.string(rng.between(1, 128), TAG_CHARS).replace(/^[.-]/, "x");
    case 2:
      return rng.string(rng.between(129, 400), TAG_CHARS);
    case 3:
      return percentMangle(rng, target.tag);
    default:
      return digestish(rng, target);
  }
}

function uploadId(rng: Rng, target: FuzzTarget): string {
  if (target.sessions.length > 0 && rng.chance(0.6)) return rng.pick(target.sessions).split("/").pop()!;
  const uuid = `${rng.string(8, HEX)}-${rng.string(4, HEX)}-4${rng.string(3, HEX)}-a${rng.string(3, HEX)}-${rng.string(12, HEX)}`;
  return rng.pick([
    uuid,
    rng.string(rng.between(0, 60), LOWER + "-"),
    "..",
    "%2e%2e",
    "a".repeat(rng.between(100, 3000)),
  ]);
}

export function path(rng: Rng, target: FuzzTarget): string {
  if (target.sessions.length > 0 && rng.chance(0.12)) return rng.pick(target.sessions);
  const n = () => name(rng, target);
  switch (rng.int(16)) {
    case 0:
    case 1:
    case 2:
      return `/v2/${n()}/manifests/${reference(rng, target)}`;
    case 3:
    case 4:
      return `/v2/${n()}/blobs/${digestish(rng, target)}`;
    case 5:
      return `/v2/${n()}/tags/list`;
    case 6:
      return `/v2/${n()}/referrers/${digestish(rng, target)}`;
    case 7:
    case 8:
      return `/v2/${n()}/blobs/uploads${rng.pick(["/", "/", ""])}`;
    case 9:
      return `/v2/${n()}/blobs/uploads/${uploadId(rng, target)}`;
    case 10:
      return rng.pick([
        "/v2/",
        "/v2",
        "/v2/_catalog",
        "/",
        "/v1/",
        "*",
        "/v2/../v2/",
        `http://registry.example/v2/${target.repository}/manifests/${target.tag}`,
        "/v2//",
        "/%",
        "/v2/%zz",
      ]);
    case 11:
      return `/v2/${n()}/${rng.pick(["manifests", "blobs", "tags", "referrers", "blobs/uploads"])}/${rng.string(rng.between(0, 40), LOWER + "/.")}`;
    case 12:
      return `/${rng.string(rng.between(1, 200), PRINTABLE.replace(/[ ?#]/g, ""))}`;
    default:
      return `/v2/${n()}/manifests/${target.tag}`;
  }
}

export function query(rng: Rng, target: FuzzTarget): string {
  if (rng.chance(0.5)) return "";
  const value = (key: string): string => {
    switch (key) {
      case "digest":
      case "mount":
        return encodeURIComponent(digestish(rng, target));
      case "n":
        return rng.pick(["0", "1", "2", "10", "-1", "1.5", "abc", "99999999999999999999999", "", "1e3", "0x10"]);
      case "from":
        return encodeURIComponent(name(rng, target));
      case "tag":
        return encodeURIComponent(reference(rng, target));
      case "digest-algorithm":
        return rng.pick(["sha256", "sha512", "md5", "", "SHA256"]);
      default:
        return rng.chance(0.5)
          ? encodeURIComponent(rng.string(rng.between(0, 40), PRINTABLE))
          : rng.string(rng.between(0, 20), LOWER + "%&=");
    }
  };
  const keys = Array.from({ length: rng.between(1, 4) }, () =>
    rng.pick(["digest", "n", "last", "mount", "from", "tag", "digest-algorithm", "artifactType", "x"]),
  );
  return `?${keys.map((k) => `${k}=${value(k)}`).join("&")}`;
}

export function authorization(rng: Rng, target: FuzzTarget): string | undefined {
  if (target.authorization && rng.chance(0.65)) return target.authorization;
  if (!rng.chance(0.3)) return undefined;
  return rng.pick([
    "Basic",
    "Basic ",
    "Basic !!!",
    `Basic ${Buffer.from(`pusher:${rng.string(rng.between(0, 20), PRINTABLE)}`).toString("base64")}`,
    `Basic ${rng.bytes(rng.between(1, 200)).toString("base64")}`,
    `Bearer ${rng.string(40, LOWER)}`,
    `basic ${Buffer.from(":").toString("base64")}`,
    rng.string(rng.between(1, 100), PRINTABLE),
    `Basic ${"A".repeat(rng.between(4000, 9000))}`,
  ]);
}
