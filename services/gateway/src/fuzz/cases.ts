// One fuzz case from a seed: a transport, a method and path (mostly Ground Control's own), headers
// (content types, encodings, protocol versions, timeouts, credentials, Host and :authority, huge
// and many headers) and a body shaped for the content type or not at all (random bytes,
// truncated gRPC frames, bad and deep JSON, invalid UTF-8 in protobuf strings).
import { requestMessage } from "./messages.js";
import { caseSeed, Rng } from "./prng.js";
import {
  AUTHORITIES,
  CONTENT_ENCODINGS,
  CONTENT_TYPES,
  HEADER_NAMES,
  HEADER_VALUES,
  JSON_KEYS,
  JSON_SCALARS,
  METHODS,
  PLAIN_PATHS,
  PROTOCOL_VERSIONS,
  RPC_PATHS,
  SATELLITE_NAMES,
  STREAMING_RPC_PATHS,
  TIMEOUTS,
} from "./vocabulary.js";

export type Transport = "http1" | "h2c" | "h2-raw";

export interface FuzzCase {
  index: number;
  transport: Transport;
  method: string;
  path: string;
  /** In order. HTTP/2 pseudo-headers appear here only when the case overrides or adds them. */
  headers: [string, string][];
  body: Buffer;
  /** HTTP/1.1: how the body is framed; "lying-length" declares more than is sent. */
  framing: "content-length" | "chunked" | "none" | "lying-length";
  /** HTTP/1.1: these exact bytes instead (a malformed request). */
  raw?: Buffer;
  /** h2-raw: pseudo-headers left out (":authority" is left out unless listed in `headers`). */
  omit?: string[];
}

export interface CaseContext {
  /** host:port of the server, the Host a well-behaved client sends. */
  authority: string;
  /** `Basic …` with the admin's real password: reaches the handlers behind authentication. */
  adminBasic: string;
}

export function generateCase(seed: number, index: number, ctx: CaseContext): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const transport: Transport = rng.pick(["http1", "http1", "h2c", "h2c", "h2-raw"] as const);
  const rpc = rng.chance(0.55);
  const name = rng.pick(SATELLITE_NAMES);
  const path = mutatePath(rng, rpc ? rng.pick(RPC_PATHS) : rng.pick(PLAIN_PATHS)(name));
  const method = rng.chance(0.8) ? (rpc ? "POST" : rng.pick(["GET", "GET", "HEAD", "POST"])) : rng.pick(METHODS);
  const contentType = rpc && rng.chance(0.85) ? rng.pick(CONTENT_TYPES.slice(0, 12)) : rng.pick(CONTENT_TYPES);
  const headers = generateHeaders(rng, transport, contentType, ctx);
  const body = method === "GET" && rng.chance(0.8) ? Buffer.alloc(0) : generateBody(rng, contentType, path);
  const framing = rng.chance(0.85) ? "content-length" : rng.pick(["chunked", "none", "lying-length"] as const);
  const c: FuzzCase = { index, transport, method, path, headers, body, framing };
  if (transport === "h2-raw" && rng.chance(0.15))
    c.omit = rng.pick([[":scheme"], [":path"], [":method"], [":method", ":path"]]);
  if (transport === "http1" && rng.chance(0.15)) c.raw = malformedHttp1(rng, c, ctx);
  return c;
}

function mutatePath(rng: Rng, path: string): string {
  if (rng.chance(0.8)) return path;
  return rng.pick([
    () => `${path}?${rng.pick(SATELLITE_NAMES)}`,
    () => `${path}/`,
    () => path.toUpperCase(),
    () => `/${path}`,
    () => path.replace(/\//g, "%2F"),
    () => `${path}%`,
    () => `${path}#frag`,
    () => path.slice(0, rng.int(path.length + 1)),
  ])();
}

function generateHeaders(rng: Rng, transport: Transport, contentType: string, ctx: CaseContext): [string, string][] {
  const h: [string, string][] = [];
  const authority = rng.chance(0.75) ? ctx.authority : rng.pick(AUTHORITIES);
  if (transport === "http1") {
    if (rng.chance(0.9)) h.push(["Host", authority]);
  } else if (transport === "h2-raw") {
    // Either, both, or (rarely) neither: nghttp2 refuses a request naming no authority at all.
    const which = rng.pick(["authority", "authority", "authority", "host", "both", "neither"] as const);
    if (which === "authority" || which === "both") h.push([":authority", authority]);
    if (which === "host" || which === "both") h.push(["host", which === "both" ? rng.pick(AUTHORITIES) : authority]);
  } else if (authority !== ctx.authority) {
    h.push([":authority", authority]);
  }
  if (contentType && rng.chance(0.95)) h.push(["content-type", contentType]);
  if (rng.chance(0.5)) h.push(["connect-protocol-version", rng.pick(PROTOCOL_VERSIONS)]);
  if (rng.chance(0.15)) h.push(["content-encoding", rng.pick(CONTENT_ENCODINGS)]);
  if (rng.chance(0.1)) h.push([rng.pick(["grpc-encoding", "connect-content-encoding"]), rng.pick(CONTENT_ENCODINGS)]);
  for (const [name, values] of Object.entries(TIMEOUTS)) if (rng.chance(0.1)) h.push([name, rng.pick(values)]);
  if (rng.chance(0.5)) h.push(["authorization", credentials(rng, ctx)]);
  if (rng.chance(0.3))
    for (let i = rng.range(1, 4); i > 0; i--) h.push([rng.pick(HEADER_NAMES), rng.pick(HEADER_VALUES)]);
  if (rng.chance(0.04)) h.push(["x-huge", "a".repeat(rng.pick([8_000, 20_000, 70_000]))]);
  if (rng.chance(0.03)) for (let i = 0; i < rng.pick([150, 250, 400]); i++) h.push([`x-many-${i}`, "v"]);
  return h;
}

function credentials(rng: Rng, ctx: CaseContext): string {
  return rng.pick([
    () => ctx.adminBasic,
    () => ctx.adminBasic,
    () =>
      `Basic ${Buffer.from(`robot$${rng.pick(SATELLITE_NAMES)}:${rng.bytes(8).toString("hex")}`).toString("base64")}`,
    () => "Basic !!!not-base64",
    () => "Basic ",
    () => `Basic ${Buffer.from("no-colon").toString("base64")}`,
    () => `Basic ${rng.bytes(rng.size(60)).toString("base64")}`,
    () => `Bearer ${rng.bytes(32).toString("base64url")}`,
    () => "Bearer",
    () => rng.pick(["Digest x", "", "basic", "Negotiate ==="]),
  ])();
}

/**
 * A body for `contentType`, now and then for another one, or plain noise. For an rpc, half the
 * messages are well-formed ones of its request type (hostile contents, messages.ts).
 */
export function generateBody(rng: Rng, contentType: string, path: string): Buffer {
  if (rng.chance(0.1)) return rng.bytes(rng.size(4096));
  const json = contentType.includes("json");
  const streaming = STREAMING_RPC_PATHS.has(path);
  const message = () =>
    (rng.chance(0.5) ? requestMessage(rng, path, json) : undefined) ?? (json ? jsonBody(rng) : protoBody(rng));
  if (
    contentType.startsWith("application/grpc") ||
    contentType.startsWith("application/connect+") ||
    (streaming && rng.chance(0.7))
  ) {
    const frames = Array.from({ length: rng.pick([1, 1, 1, 2, 3]) }, () => frame(rng, message()));
    const body = Buffer.concat(frames);
    if (contentType === "application/grpc-web-text")
      return Buffer.from(rng.chance(0.8) ? body.toString("base64") : `${body.toString("base64")}!*`);
    return rng.chance(0.2) ? body.subarray(0, rng.int(body.length + 1)) : body;
  }
  return message();
}

/** A length-prefixed message: flags, length (sometimes a lie), payload. */
function frame(rng: Rng, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = rng.chance(0.8) ? 0 : rng.pick([1, 2, 0x80, 0xff, 3]);
  head.writeUInt32BE(
    rng.chance(0.85) ? payload.length : rng.pick([0, payload.length + 1, 0xffffffff, 4 * 1024 * 1024 + 1]),
    1,
  );
  return Buffer.concat([head, payload]);
}

function jsonBody(rng: Rng): Buffer {
  return rng.pick([
    () => Buffer.from(JSON.stringify(jsonValue(rng, 3, true))),
    () => Buffer.from(JSON.stringify(jsonValue(rng, 3, true)).slice(0, -1)),
    () => Buffer.from(`${"[".repeat(rng.pick([100, 5_000, 100_000]))}${"]".repeat(rng.chance(0.5) ? 0 : 100)}`),
    () => Buffer.from(`{"a":${'{"a":'.repeat(rng.pick([100, 5_000]))}1${"}".repeat(rng.pick([100, 5_000]))}}`),
    () =>
      Buffer.from(
        rng.pick([
          '{"username":"x","password":',
          "{'a':1}",
          "nul",
          '"str"',
          "1e999999",
          "[]",
          "{}",
          '{"__proto__":{"x":1}}',
          '{"name":"\\ud800"}',
        ]),
      ),
    () => Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]),
    () => Buffer.from(JSON.stringify({ [rng.pick(JSON_KEYS)]: "x".repeat(rng.pick([1_000, 100_000])) })),
  ])();
}

function jsonValue(rng: Rng, depth: number, object = false): unknown {
  if (depth <= 0 || (!object && rng.chance(0.6))) return rng.pick(JSON_SCALARS);
  if (!object && rng.chance(0.3)) return Array.from({ length: rng.int(4) }, () => jsonValue(rng, depth - 1));
  const out: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--)
    out[rng.chance(0.9) ? rng.pick(JSON_KEYS) : rng.bytes(3).toString("latin1")] = jsonValue(rng, depth - 1);
  return out;
}

function protoBody(rng: Rng): Buffer {
  return rng.pick([
    () => rng.bytes(rng.size(512)),
    // Field 1 as a string that is not UTF-8.
    () => Buffer.from([0x0a, 0x03, 0xff, 0xfe, 0xc3]),
    // A length past the end, a varint that never ends, an unknown wire type, a group.
    () => Buffer.from([0x0a, 0x7f, 0x61]),
    () => Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    () => Buffer.from([0x0f, 0x01]),
    () => Buffer.from([0x0b, 0x0c]),
    () => Buffer.concat([Buffer.from([0x0a, 0x05]), Buffer.from("edge1"), Buffer.from([0x12, 0x02, 0xc0, 0x80])]),
    () => Buffer.alloc(0),
  ])();
}

/** A well-formed HTTP/1.1 request of the case, broken one way or another. */
function malformedHttp1(rng: Rng, c: FuzzCase, ctx: CaseContext): Buffer {
  const head = `${c.method} ${c.path} HTTP/1.1\r\nHost: ${ctx.authority}\r\nContent-Type: application/json\r\n`;
  const body = c.body.subarray(0, 256);
  return rng.pick([
    () => rng.bytes(rng.size(256)),
    () => Buffer.from(`${c.method} ${c.path}\r\n\r\n`),
    () =>
      Buffer.from(`${c.method} ${c.path} HTTP/1.0\r\nContent-Length: ${body.length}\r\n\r\n${body.toString("latin1")}`),
    () => Buffer.from(`${c.method} ${c.path} HTTP/2.0\r\nHost: x\r\n\r\n`),
    () => Buffer.from(`${c.method} ${c.path} HTTP/1.1\nHost: x\n\n`),
    () => Buffer.from(`${head}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`),
    () => Buffer.from(`${head}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n`),
    () => Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`),
    () => Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n`),
    () => Buffer.from(`${head}Content-Length: -1\r\n\r\n`),
    () => Buffer.from(`${head}X-Bad\u0000Name: v\r\n\r\n`),
    () => Buffer.from(`${head}X-A: a\rb\r\n\r\n`),
    () => Buffer.from(`${head} folded: continuation\r\n\r\n`),
    () => Buffer.from(`${c.method} /${"a".repeat(rng.pick([9_000, 70_000]))} HTTP/1.1\r\nHost: x\r\n\r\n`),
    () => Buffer.from(`${head}Expect: 100-continue\r\nContent-Length: 10\r\n\r\n`),
    () =>
      Buffer.from(
        `${head}Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`,
      ),
    () => Buffer.concat([Buffer.from(head.slice(0, rng.int(head.length))), rng.bytes(rng.int(32))]),
  ])();
}
