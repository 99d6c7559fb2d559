// Raw HTTP/1.1 requests for the registry fuzzer, built as bytes so that what no client library
// would send can be sent: random names, references and percent-escapes, `..`, very long names,
// every method, query parameters of the spec (`digest=`, `n=`, `last=`, `mount=`/`from=`,
// `tag=`), Content-Range, Range, Content-Type, Content-Length that lies, chunked bodies that
// break off, garbage Authorization, random bodies and manifests that are almost right. A share
// of the requests are well-formed steps of a real push (a session opened, a chunk, the closing
// PUT, a manifest over stored blobs), so the fuzzer also reaches the states behind them.
import { MediaType, digestOf } from "@harbor-satellite/oci";
import type { Rng } from "./prng.js";

export interface FuzzTarget {
  repository: string;
  tag: string;
  manifestDigest: string;
  blobs: { mediaType: string; digest: string; size: number }[];
  /** Valid Basic credentials (write mode), or undefined (read-only mode). */
  authorization?: string;
  /** Upload session URLs the server handed out during the run (write mode). */
  sessions: string[];
}

export interface FuzzRequest {
  bytes: Buffer;
  method: string;
  /** False when the request is cut short on purpose (the client then half-closes). */
  complete: boolean;
  /** Carries the valid credentials. */
  authorized: boolean;
}

const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
const TAG_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
const PRINTABLE = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const HEX = "0123456789abcdef";
const MANIFEST_TYPES = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/json",
  "application/octet-stream",
  "text/plain; charset=utf-8",
  "",
];

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

function path(rng: Rng, target: FuzzTarget): string {
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

function query(rng: Rng, target: FuzzTarget): string {
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

function body(rng: Rng, target: FuzzTarget, method: string): Buffer {
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

function authorization(rng: Rng, target: FuzzTarget): string | undefined {
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

/** A well-formed step of a real push, with the target's credentials. */
function pushStep(
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

const METHODS = [
  "GET",
  "GET",
  "GET",
  "HEAD",
  "HEAD",
  "PUT",
  "PUT",
  "PUT",
  "POST",
  "POST",
  "PATCH",
  "PATCH",
  "DELETE",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "FOO",
  "get",
  "CONNECT",
  "PROPFIND",
];

export function generateRequest(rng: Rng, target: FuzzTarget): FuzzRequest {
  if (rng.chance(0.03)) {
    const garbage = Buffer.concat([rng.bytes(rng.between(1, 300)), Buffer.from("\r\n\r\n")]);
    return { bytes: garbage, method: "?", complete: true, authorized: false };
  }
  const step = rng.chance(0.2) ? pushStep(rng, target) : undefined;
  const method = step?.method ?? rng.pick(METHODS);
  const requestTarget = step?.target ?? `${path(rng, target)}${query(rng, target)}`;
  const payload = step?.body ?? body(rng, target, method);
  const headers: [string, string][] = [];
  if (!rng.chance(0.02))
    headers.push(["Host", rng.chance(0.95) ? "registry.example" : rng.string(rng.between(0, 30), PRINTABLE)]);
  headers.push(["Connection", "close"]);
  const auth = step ? step.headers.find(([k]) => k === "Authorization")?.[1] : authorization(rng, target);
  if (auth !== undefined) headers.push(["Authorization", auth]);
  for (const [k, v] of step?.headers ?? []) if (k !== "Authorization") headers.push([k, v]);
  if (!step) {
    if (rng.chance(0.5)) headers.push(["Content-Type", rng.pick(MANIFEST_TYPES)]);
    if (rng.chance(0.2))
      headers.push([
        "Content-Range",
        rng.pick([
          `0-${Math.max(payload.length - 1, 0)}`,
          `${rng.int(100)}-${rng.int(100)}`,
          `bytes 0-${payload.length}/*`,
          "garbage",
          "-1-5",
          "99999999999999999999-99999999999999999999",
        ]),
      ]);
    if (rng.chance(0.15))
      headers.push([
        "Range",
        rng.pick([
          "bytes=0-10",
          "bytes=-5",
          "bytes=100-",
          "bytes=5-1",
          "bytes=0-1,2-3",
          "bytes=",
          "items=0-1",
          "bytes=0-99999999999999999999",
          "bytes=-0",
        ]),
      ]);
    if (rng.chance(0.1))
      headers.push([`X-${rng.string(rng.between(1, 10), LOWER)}`, rng.string(rng.between(0, 200), PRINTABLE)]);
    if (rng.chance(0.02)) headers.push(["X-Bad", `a${String.fromCharCode(rng.pick([0, 1, 10, 13, 127]))}b`]);
    if (rng.chance(0.01)) for (let i = 0; i < 300; i++) headers.push([`X-Many-${i}`, "y"]);
    if (rng.chance(0.01)) headers.push(["X-Huge", "h".repeat(rng.between(17_000, 40_000))]);
  }

  let framing = rng.int(20);
  if (step || (payload.length === 0 && framing > 13)) framing = 0;
  let bodyBytes = payload;
  let complete = true;
  if (framing <= 13) {
    if (payload.length > 0 || method === "PUT" || method === "POST" || method === "PATCH")
      headers.push(["Content-Length", String(payload.length)]);
  } else if (framing === 14) {
    headers.push(["Content-Length", String(payload.length + rng.between(1, 1000))]);
    complete = false;
  } else if (framing === 15) {
    const short = rng.int(payload.length);
    headers.push(["Content-Length", String(short)]);
  } else if (framing === 16) {
    headers.push(["Content-Length", rng.pick(["abc", "-1", "1e3", " 12", "12, 13", "0x10", "99999999999999999999"])]);
  } else {
    headers.push(["Transfer-Encoding", "chunked"]);
    if (framing === 17) headers.push(["Content-Length", String(payload.length)]);
    const cut = framing === 19 && rng.chance(0.5);
    const chunks = [
      `${payload.length.toString(16)}\r\n`,
      payload,
      "\r\n",
      cut ? "" : rng.chance(0.9) ? "0\r\n\r\n" : "zz\r\n",
    ];
    bodyBytes = Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
    complete = !cut;
  }
  const version = rng.chance(0.97) ? "HTTP/1.1" : rng.pick(["HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1 extra", ""]);
  const endOfHead = rng.chance(0.01) ? "\r\n" : "\r\n\r\n";
  if (endOfHead === "\r\n") complete = false;
  const head =
    `${method} ${requestTarget} ${version}`.trimEnd() + "\r\n" + headers.map(([k, v]) => `${k}: ${v}`).join("\r\n");
  const bytes = Buffer.concat([Buffer.from(head + endOfHead, "latin1"), bodyBytes]);
  return { bytes, method, complete, authorized: auth !== undefined && auth === target.authorization };
}
