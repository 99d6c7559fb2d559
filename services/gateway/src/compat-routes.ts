// The original Ground Control's satellite routes, with its JSON shapes, so an original Go
// satellite can enrol and heartbeat against this Ground Control:
//   GET  /satellites/ztr/{token}  → {"auth":{"url","username","password"},"state":"<url>"}
//   GET  /satellites/spiffe-ztr   → the same, for a satellite SVID presented over mTLS
//   POST /satellites/sync         ← the original heartbeat JSON (SVID or robot Basic credentials)
// Errors use the original's {"message","code"} body. Both call the same services as the rpcs.
// `state` is Ground Control's own URL for the satellite's state (GROUND_CONTROL_URL, else the
// scheme and host this request came in on, passed to the identity service as the public URL).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { IdentityService, StateConfig } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import {
  SyncRequestSchema,
  type HeartbeatService,
} from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { toConnectError, type Caller } from "@harbor-satellite/rpc";
import type { Authenticator } from "./authenticator.js";
import type { PeerVerifier } from "./peer-identity.js";
import type { RateLimiter } from "./rate-limiter.js";
import { requestPublicUrl } from "./public-url.js";
import { forwardingHeaders } from "./service-clients.js";

import type { HttpRequest as HttpReq, HttpResponse as HttpRes } from "./http-types.js";

const HTTP_STATUS: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 412,
  [Code.Unavailable]: 503,
};

/** The largest heartbeat body accepted (cached image lists can be long). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface CompatDeps {
  identity: () => Client<typeof IdentityService>;
  heartbeat: () => Client<typeof HeartbeatService>;
  authenticate: Authenticator;
  /** The SPIFFE identity proved in the TLS handshake, if any. */
  peer: PeerVerifier;
  ztrLimiter: RateLimiter;
}

function send(res: HttpRes, status: number, body?: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: HttpRes, error: unknown): void {
  const err = error instanceof ConnectError ? error : toConnectError(error);
  const status = HTTP_STATUS[err.code] ?? 500;
  send(res, status, { message: status === 500 ? "internal error" : err.rawMessage, code: status });
}

/** The original's StateConfig JSON. */
export function stateConfigJson(config: StateConfig | undefined): unknown {
  return {
    auth: {
      url: config?.auth?.url ?? "",
      username: config?.auth?.username ?? "",
      password: config?.auth?.password ?? "",
    },
    state: config?.stateUrl ?? "",
  };
}

async function readJson(req: HttpReq): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ConnectError(`body larger than ${MAX_BODY_BYTES} bytes`, Code.InvalidArgument);
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ConnectError("body is not a JSON object", Code.InvalidArgument);
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const str = (v: unknown) => (typeof v === "string" ? v : "");
/** Whole numbers within what the field holds (int64 past 2^53 is no real count anyway): out of range is clamped, not a failed heartbeat. */
const clamp = (v: unknown, max: number) => Math.max(-max, Math.min(max, Math.trunc(num(v))));
const int64 = (v: unknown) => BigInt(clamp(v, Number.MAX_SAFE_INTEGER));
const int32 = (v: unknown) => clamp(v, 2 ** 31 - 1);

/** Maps the original heartbeat JSON (which names the satellite `name`) to a SyncRequest. */
export function syncRequestFromJson(body: Record<string, unknown>, caller: Caller) {
  const created = typeof body.request_created_time === "string" ? new Date(body.request_created_time) : undefined;
  const images = Array.isArray(body.cached_images) ? (body.cached_images as Record<string, unknown>[]) : [];
  const satellite = str(body.name) || (caller.kind === "satellite" ? caller.name : "");
  return create(SyncRequestSchema, {
    satellite,
    // The deprecated name too until v0.3: a heartbeat process not yet upgraded reads only that.
    name: satellite,
    activity: str(body.activity),
    stateReportInterval: str(body.state_report_interval),
    latestStateDigest: str(body.latest_state_digest),
    latestConfigDigest: str(body.latest_config_digest),
    memoryUsedBytes: int64(body.memory_used_bytes),
    storageUsedBytes: int64(body.storage_used_bytes),
    cpuPercent: num(body.cpu_percent),
    requestCreateTime: created && !Number.isNaN(created.getTime()) ? timestampFromDate(created) : undefined,
    lastSyncDurationMs: int64(body.last_sync_duration_ms),
    imageCount: int32(body.image_count),
    cachedImages: images.map((i) => ({ reference: str(i?.reference), sizeBytes: int64(i?.size_bytes) })),
  });
}

/** The request's headers as Fetch Headers; a value Fetch refuses is left out (it carries nothing we read). */
function headersOf(req: HttpReq): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v !== "string" || k.startsWith(":")) continue;
    try {
      headers.set(k, v);
    } catch {
      // not a header Fetch can hold
    }
  }
  return headers;
}

/** A path segment's percent-encoding decoded; malformed encoding is the client's error, not ours. */
function decodeSegment(name: string, segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ConnectError(`${name} in the path is not valid percent-encoding`, Code.InvalidArgument);
  }
}

/**
 * Runs one route's work and answers whatever it throws: nothing a request does may escape as a
 * synchronous throw or an unhandled rejection (either would take the process down).
 */
function answer(res: HttpRes, work: () => Promise<void>): void {
  void (async () => {
    try {
      await work();
    } catch (error) {
      sendError(res, error);
    }
  })().catch(() => res.destroy());
}

/** Returns true when it handled the request. */
export function handleCompatRoute(deps: CompatDeps, req: HttpReq, res: HttpRes, path: string): boolean {
  const ztr = /^\/satellites\/ztr\/([^/]+)$/.exec(path);
  if (req.method === "GET" && ztr) {
    if (!deps.ztrLimiter.take(req.socket?.remoteAddress ?? "?")) {
      send(res, 429, { error: "Too Many Requests" });
      return true;
    }
    answer(res, async () => {
      const token = decodeSegment("the token", ztr[1]);
      const r = await deps
        .identity()
        .tokenZtr({ token }, { headers: forwardingHeaders({ kind: "anonymous" }, requestPublicUrl(req)) });
      send(res, 200, stateConfigJson(r.stateConfig));
    });
    return true;
  }
  if (req.method === "GET" && path === "/satellites/spiffe-ztr") {
    if (!deps.ztrLimiter.take(req.socket?.remoteAddress ?? "?")) {
      send(res, 429, { error: "Too Many Requests" });
      return true;
    }
    answer(res, async () => {
      const caller = await deps.authenticate(new Headers(), deps.peer(req));
      if (caller.kind !== "satellite")
        throw new ConnectError("spiffe-ztr needs a satellite X.509-SVID presented over mTLS", Code.Unauthenticated);
      const { stateConfig } = await deps
        .identity()
        .spiffeZtr({}, { headers: forwardingHeaders(caller, requestPublicUrl(req)) });
      send(res, 200, stateConfigJson(stateConfig));
    });
    return true;
  }
  if (req.method === "POST" && path === "/satellites/sync") {
    answer(res, async () => {
      const caller = await deps.authenticate(headersOf(req), deps.peer(req), req.socket.remoteAddress);
      if (caller.kind !== "satellite")
        throw new ConnectError(
          "heartbeats need the satellite's SVID or robot credentials",
          caller.kind === "anonymous" ? Code.Unauthenticated : Code.PermissionDenied,
        );
      const body = await readJson(req);
      await deps.heartbeat().sync(syncRequestFromJson(body, caller), { headers: forwardingHeaders(caller) });
      send(res, 200);
    });
    return true;
  }
  return false;
}
