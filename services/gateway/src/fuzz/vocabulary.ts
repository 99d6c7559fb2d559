// What the fuzzer says to Ground Control: its real paths (every rpc, the original's REST routes,
// the state registry, health) and the header values that have hurt HTTP servers before.
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { ServerReflection as ReflectionV1 } from "@harbor-satellite/gen/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ReflectionV1alpha } from "@harbor-satellite/gen/grpc/reflection/v1alpha/reflection_pb";

const SERVICES: readonly DescService[] = [
  IdentityService,
  FleetService,
  RegistryService,
  HeartbeatService,
  ReflectionV1,
  ReflectionV1alpha,
];

/** Every rpc path Ground Control serves. */
export const RPC_PATHS: readonly string[] = SERVICES.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));

/** Each rpc's request message, by path. */
export const RPC_INPUTS: ReadonlyMap<string, DescMessage> = new Map(
  SERVICES.flatMap((s) => s.methods.map((m) => [`/${s.typeName}/${m.name}`, m.input] as const)),
);

/** The streaming rpcs (reflection): their bodies are enveloped even in the Connect protocol. */
export const STREAMING_RPC_PATHS: ReadonlySet<string> = new Set(
  SERVICES.flatMap((s) => s.methods.filter((m) => m.methodKind !== "unary").map((m) => `/${s.typeName}/${m.name}`)),
);

export const SATELLITE_NAMES = [
  "edge-1",
  "x",
  "a-b",
  "UPPER",
  "..",
  "%2e%2e",
  "a%2Fb",
  "%ZZ",
  "%",
  "é",
  "a".repeat(300),
  "robot$edge-1",
  "edge_1",
  "-x",
];

export const PLAIN_PATHS: readonly ((name: string) => string)[] = [
  () => "/healthz",
  () => "/health",
  () => "/ping",
  (n) => `/satellites/ztr/${n}`,
  () => "/satellites/ztr/%ZZ",
  () => "/satellites/ztr/",
  () => "/satellites/spiffe-ztr",
  () => "/satellites/sync",
  () => "/v2",
  () => "/v2/",
  (n) => `/v2/satellite/satellite-state/${n}/state/manifests/latest`,
  (n) => `/v2/satellite/satellite-state/${n}/state/manifests/sha256:${"ab".repeat(32)}`,
  (n) => `/v2/satellite/satellite-state/${n}/state/manifests/${n}`,
  (n) => `/v2/satellite/satellite-state/${n}/state/blobs/sha256:${"0".repeat(64)}`,
  (n) => `/v2/satellite/satellite-state/${n}/state/blobs/${n}`,
  (n) => `/v2/satellite/satellite-state/${n}/state/tags/list`,
  (n) => `/v2/${n}/manifests/latest`,
  (n) => `/v2/_catalog?n=${n}`,
  () => "/",
  () => "*",
  () => "//",
  () => "/../../etc/passwd",
  () => "/%00",
  () => "/%",
  (n) => `/${n}?${n}=${n}&&=`,
  () => "http://example.com/healthz",
  () => `/${"a/".repeat(2000)}`,
];

export const METHODS = [
  "GET",
  "POST",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
  "PATCH",
  "TRACE",
  "CONNECT",
  "post",
  "FOO",
  "M-SEARCH",
  "PRI",
];

export const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "application/proto",
  "application/connect+json",
  "application/connect+proto",
  "application/grpc",
  "application/grpc+proto",
  "application/grpc+json",
  "application/grpc-web",
  "application/grpc-web+proto",
  "application/grpc-web-text",
  "text/plain",
  "",
  "application/",
  "multipart/form-data; boundary=x",
  "application/json;;;",
  "*/*",
];

export const CONTENT_ENCODINGS = ["gzip", "br", "identity", "deflate", "zstd", "gzip, gzip", "", "x"];

export const TIMEOUTS: Record<string, readonly string[]> = {
  "grpc-timeout": ["1S", "1n", "0m", "-1S", "99999999999H", "1x", "", "S", "100000000m", "1.5S"],
  "connect-timeout-ms": ["0", "-1", "abc", "1", "99999999999999999999", "1e3", ""],
};

export const PROTOCOL_VERSIONS = ["1", "2", "0", "", "1.0", "x"];

/** Host and :authority values: empty, not a host and port, out-of-range ports, odd characters. */
export const AUTHORITIES = [
  "",
  "[::1",
  "[::1]:80",
  "x:99999",
  "x:-1",
  "a:b:c",
  "host:port",
  "@evil",
  "user@host:1",
  "%zz",
  "é.example",
  "a b",
  "a".repeat(300),
  "localhost",
  "127.0.0.1:1",
  ":",
  "[]",
  "0",
];

export const HEADER_NAMES = [
  "x-a",
  "x-forwarded-for",
  "forwarded",
  "accept",
  "accept-encoding",
  "te",
  "user-agent",
  "cookie",
  "origin",
  "referer",
  "x-real-ip",
  "grpc-accept-encoding",
  "connect-accept-encoding",
  "expect",
  "range",
  "if-none-match",
  "x-user-agent",
  "authorization",
];

export const HEADER_VALUES = [
  "",
  "x",
  "trailers",
  "gzip",
  "*",
  "100-continue",
  "bytes=0-",
  "1.2.3.4",
  "::1",
  "\t",
  "a=b; c",
  "é",
  "null",
  "undefined",
  "0",
  "-1",
  "[object Object]",
];

/** Keys the rpcs' JSON reads, so random bodies reach past the decoder now and then. "admin" is
 * left out: wrong admin passwords would throttle the admin's own Login from this address. */
export const JSON_KEYS = [
  "username",
  "password",
  "name",
  "satellite",
  "satellites",
  "group",
  "groups",
  "token",
  "region",
  "artifacts",
  "repository",
  "tags",
  "config",
  "configJson",
  "mergePatchJson",
  "target",
  "blob",
  "manifest",
  "sessionToken",
  "activity",
  "cachedImages",
  "cached_images",
  "latest_state_digest",
  "state_report_interval",
  "request_created_time",
  "image_count",
  "fileByFilename",
  "listServices",
  "fileContainingSymbol",
];

export const JSON_SCALARS: readonly unknown[] = [
  "",
  "x",
  "edge-1",
  "web",
  "é",
  "\u0000",
  "\ud800",
  0,
  -1,
  1.5,
  1e308,
  2 ** 63,
  true,
  false,
  null,
  [],
  {},
  "9223372036854775808",
  "sha256:" + "0".repeat(64),
];
