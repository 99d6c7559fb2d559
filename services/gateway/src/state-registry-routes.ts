// Ground Control's read-only OCI distribution endpoint, on the gateway's port, for the one kind of
// state artifact it keeps itself: each satellite's satellite state (Harbor's robot permissions are
// per project, so there every satellite could read every other's).
//
//   GET      /v2/                                                        401 + Basic challenge, or 200 {}
//   GET|HEAD /v2/satellite/satellite-state/<s>/state/manifests/<ref>     `latest`, the unix-time tag, or the digest
//   GET|HEAD /v2/satellite/satellite-state/<s>/state/blobs/<digest>      config and layer
//   GET      /v2/satellite/satellite-state/<s>/state/tags/list           (skopeo inspect lists tags)
//
// Callers authenticate as everywhere on the gateway: the satellite's robot (Basic
// `robot$…:secret`) or its SVID over mTLS, or an admin (Basic or a bearer session). Satellite X
// reads only satellite/satellite-state/X/state (DENIED otherwise, here and again in the registry
// service). The bytes come from the registry service through its generated client, so this works
// when that service runs in another process. Errors are the spec's `{"errors":[…]}` bodies; this
// file is the one place they are made. Nothing here logs: requests carry credentials.
import type { Client } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { isDigest, isTag, OciError, type OciErrorCode } from "@harbor-satellite/oci";
import { toConnectError, type Caller } from "@harbor-satellite/rpc";
import type { Authenticator } from "./authenticator.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";
import type { PeerVerifier } from "./peer-identity.js";
import { requestPublicUrl } from "./public-url.js";
import { forwardingHeaders } from "./service-clients.js";

export interface StateRegistryDeps {
  registry: () => Client<typeof RegistryService>;
  authenticate: Authenticator;
  /** The SPIFFE identity proved in the TLS handshake, if any. */
  peer: PeerVerifier;
}

/** What a 401 asks for: crane, skopeo and the satellite answer it with Basic credentials. */
export const BASIC_CHALLENGE = 'Basic realm="Ground Control"';
const API_VERSION = { "docker-distribution-api-version": "registry/2.0" };
const STATE_PATH = /^\/v2\/satellite\/satellite-state\/([^/]+)\/state\/(?:(manifests|blobs)\/([^/]+)|tags\/list)$/;
/** One path component of a repository name (what a satellite state's `<s>` must be). */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

export function deniedMessage(caller: string, satellite: string): string {
  return `satellite ${JSON.stringify(caller)} may not read the state of satellite ${JSON.stringify(satellite)}`;
}

/** Returns true when it handled the request: everything under /v2 is this endpoint's. */
export function handleStateRegistryRoute(
  deps: StateRegistryDeps,
  req: HttpRequest,
  res: HttpResponse,
  path: string,
): boolean {
  if (path !== "/v2" && !path.startsWith("/v2/")) return false;
  // Everything a request can throw ends in an answer; should even that fail, the connection goes.
  serve(deps, req, res, path)
    .catch((error: unknown) => sendError(req, res, error))
    .catch(() => res.destroy());
  return true;
}

async function serve(deps: StateRegistryDeps, req: HttpRequest, res: HttpResponse, path: string): Promise<void> {
  const caller = await authenticate(deps, req);
  if (req.method !== "GET" && req.method !== "HEAD")
    throw new OciError(
      "UNSUPPORTED",
      `${req.method ?? ""} is not supported: Ground Control serves satellite states read-only`,
    );
  if (path === "/v2" || path === "/v2/") return send(req, res, 200, "application/json", Buffer.from("{}"));

  const match = STATE_PATH.exec(path);
  if (!match)
    throw new OciError("NAME_UNKNOWN", "Ground Control serves only satellite/satellite-state/<satellite>/state");
  const [, satellite, kind = "tags", reference = ""] = match;
  if (!PATH_COMPONENT.test(satellite))
    throw new OciError("NAME_INVALID", `${JSON.stringify(satellite)} is not a satellite name`);
  if (caller.kind === "satellite" && caller.name !== satellite)
    throw new OciError("DENIED", deniedMessage(caller.name, satellite));
  if (kind === "blobs" && !isDigest(reference))
    throw new OciError("DIGEST_INVALID", `${JSON.stringify(reference)} is not a digest`);
  if (kind === "manifests" && !isTag(reference) && !isDigest(reference))
    throw new OciError("MANIFEST_UNKNOWN", `${JSON.stringify(reference)} is neither a tag nor a digest`);

  const target =
    kind === "blobs"
      ? ({ case: "blob", value: reference } as const)
      : ({ case: "manifest", value: kind === "tags" ? "latest" : reference } as const);
  const part = await deps
    .registry()
    .getSatelliteStateArtifact({ satellite, target }, { headers: forwardingHeaders(caller, requestPublicUrl(req)) })
    .catch((error: unknown) => {
      throw ociErrorOf(
        error,
        kind === "blobs" ? "BLOB_UNKNOWN" : kind === "tags" ? "NAME_UNKNOWN" : "MANIFEST_UNKNOWN",
      );
    });
  if (kind === "tags") {
    return send(
      req,
      res,
      200,
      "application/json",
      Buffer.from(
        JSON.stringify({ name: `satellite/satellite-state/${satellite}/state`, tags: [...part.tags].sort() }),
      ),
    );
  }
  send(req, res, 200, part.mediaType, Buffer.from(part.content), { "docker-content-digest": part.digest });
}

/** Anonymous or wrong credentials are a 401 with the Basic challenge. */
async function authenticate(deps: StateRegistryDeps, req: HttpRequest): Promise<Caller> {
  const headers = new Headers();
  const authorization = req.headers.authorization;
  try {
    if (authorization) headers.set("authorization", authorization);
  } catch {
    throw new OciError("UNAUTHORIZED", "the Authorization header is malformed");
  }
  let caller: Caller;
  try {
    caller = await deps.authenticate(headers, deps.peer(req), req.socket.remoteAddress);
  } catch (error) {
    throw ociErrorOf(error, "UNAUTHORIZED");
  }
  if (caller.kind === "anonymous")
    throw new OciError(
      "UNAUTHORIZED",
      "authentication required: the satellite's robot credentials or SVID, or an admin's credentials",
    );
  return caller;
}

/** A Connect error from the registry service (or the authenticator) as the spec's error. */
function ociErrorOf(error: unknown, notFound: OciErrorCode): OciError {
  if (error instanceof OciError) return error;
  const err = toConnectError(error);
  const code: OciErrorCode | undefined = (
    {
      [Code.NotFound]: notFound,
      [Code.PermissionDenied]: "DENIED",
      [Code.Unauthenticated]: "UNAUTHORIZED",
      [Code.InvalidArgument]: "NAME_INVALID",
      [Code.Unavailable]: "UNAVAILABLE",
      [Code.ResourceExhausted]: "TOOMANYREQUESTS",
    } as Partial<Record<Code, OciErrorCode>>
  )[err.code];
  if (!code) throw error;
  return new OciError(code, err.rawMessage);
}

function send(
  req: HttpRequest,
  res: HttpResponse,
  status: number,
  contentType: string,
  body: Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...API_VERSION, "content-type": contentType, "content-length": body.length, ...extra });
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

function sendError(req: HttpRequest, res: HttpResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const oci = error instanceof OciError ? error : undefined;
  const body = Buffer.from(
    JSON.stringify(oci ? oci.toBody() : { errors: [{ code: "UNKNOWN", message: "internal error" }] }),
  );
  send(
    req,
    res,
    oci?.status ?? 500,
    "application/json",
    body,
    oci?.code === "UNAUTHORIZED" ? { "www-authenticate": BASIC_CHALLENGE } : {},
  );
}
