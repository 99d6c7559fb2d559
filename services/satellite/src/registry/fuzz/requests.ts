// Raw HTTP/1.1 requests for the registry fuzzer, built as bytes so that what no client library
// would send can be sent: random names, references and percent-escapes, `..`, very long names,
// every method, query parameters of the spec (`digest=`, `n=`, `last=`, `mount=`/`from=`,
// `tag=`), Content-Range, Range, Content-Type, Content-Length that lies, chunked bodies that
// break off, garbage Authorization, random bodies and manifests that are almost right. A share
// of the requests are well-formed steps of a real push (a session opened, a chunk, the closing
// PUT, a manifest over stored blobs), so the fuzzer also reaches the states behind them.
// The parts are in request-parts.ts, the bodies and push steps in payloads.ts; this file frames
// them: method, headers, and a body that is sent whole, lied about or broken off.
import { MediaType } from "@harbor-satellite/oci";
import { body, pushStep } from "./payloads.js";
import type { Rng } from "@harbor-satellite/testkit/rng";
import { authorization, LOWER, path, PRINTABLE, query } from "./request-parts.js";

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
