// An in-process Ground Control for the agent's unit tests: the real Connect services
// (IdentityService.TokenZtr/SpiffeZtr, HeartbeatService.Sync) over node:http or node:https with
// SPIFFE mTLS, and optionally the satellite's state on `/v2/` as Ground Control serves it (to a
// satellite SVID or the robot's Basic credentials), recording what the satellite sent. The gateway
// proper needs PostgreSQL or PGlite and Harbor; the e2e tests run it for real.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { HeartbeatService, type SyncRequest } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService, StateConfigSchema } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import {
  authorizePathPrefix,
  createServerTlsOptions,
  TrustDomain,
  verifyTlsPeer,
  type X509Source,
} from "@harbor-satellite/spiffe";

export interface FakeEnrolment {
  satellite: string;
  stateUrl: string;
  harborUrl: string;
  username: string;
  password: string;
}

export interface RecordedCall {
  rpc: "TokenZtr" | "SpiffeZtr" | "Sync" | "State";
  /** The client's SPIFFE ID (mTLS) when it presented one. */
  peer?: string;
  authorization?: string;
  traceparent?: string;
  token?: string;
  sync?: SyncRequest;
}

export interface FakeGroundControl {
  url: string;
  calls: RecordedCall[];
  /** Answer the next `times` rpcs with this code. */
  failNext(code: Code, times?: number): void;
  close(): Promise<void>;
}

export interface FakeGroundControlOptions {
  /** What ZTR answers; a function is asked at each enrolment (e.g. to hand out a fresh robot secret). */
  enrolment: FakeEnrolment | (() => FakeEnrolment);
  /** TokenZtr accepts only this token when set. */
  validToken?: string;
  /** Serve SPIFFE mTLS with this SVID source; satellites' SVIDs in this trust domain are accepted. */
  tls?: { source: X509Source; trustDomain: string };
  /** What Sync answers (Ground Control's word on the satellite state); empty by default. */
  syncAnswer?: () => { satelliteStateUrl?: string; satelliteStateDigest?: string };
  /** A satellite state to serve at /v2/<repository>/…, to a satellite SVID or these Basic credentials. */
  state?: {
    repository: string;
    manifest: Buffer;
    mediaType: string;
    blobs: Buffer[];
    robot?: { username: string; password: string };
  };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

export async function startFakeGroundControl(options: FakeGroundControlOptions): Promise<FakeGroundControl> {
  const calls: RecordedCall[] = [];
  let failures: { code: Code; left: number } | undefined;
  const stateConfig = () => {
    const e = typeof options.enrolment === "function" ? options.enrolment() : options.enrolment;
    return create(StateConfigSchema, {
      stateUrl: e.stateUrl,
      registryUrl: e.harborUrl,
      satellite: e.satellite,
      auth: { url: e.harborUrl, username: e.username, password: e.password },
    });
  };
  const record = (rpc: RecordedCall["rpc"], header: Headers, extra: Partial<RecordedCall> = {}) => {
    calls.push({
      rpc,
      peer: header.get("x-test-peer") ?? undefined,
      authorization: header.get("authorization") ?? undefined,
      traceparent: header.get("traceparent") ?? undefined,
      ...extra,
    });
    if (failures && failures.left > 0) {
      failures.left--;
      throw new ConnectError("injected failure", failures.code);
    }
  };
  const routes = (router: ConnectRouter) => {
    router.service(IdentityService, {
      tokenZtr(req, ctx) {
        record("TokenZtr", ctx.requestHeader, { token: req.token });
        if (options.validToken !== undefined && req.token !== options.validToken)
          throw new ConnectError(`token ${req.token} is unknown, used or expired`, Code.Unauthenticated);
        return { stateConfig: stateConfig() };
      },
      spiffeZtr(_req, ctx) {
        record("SpiffeZtr", ctx.requestHeader);
        if (!ctx.requestHeader.get("x-test-peer"))
          throw new ConnectError("no client certificate", Code.Unauthenticated);
        return { stateConfig: stateConfig() };
      },
    });
    router.service(HeartbeatService, {
      sync(req, ctx) {
        record("Sync", ctx.requestHeader, { sync: req });
        return options.syncAnswer?.() ?? {};
      },
    });
  };
  const serveState = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const state = options.state!;
    const header = new Headers();
    for (const name of ["x-test-peer", "authorization"])
      if (typeof req.headers[name] === "string") header.set(name, req.headers[name]);
    const robot = state.robot
      ? `Basic ${Buffer.from(`${state.robot.username}:${state.robot.password}`).toString("base64")}`
      : undefined;
    const send = (status: number, body: Buffer, type = "application/json", extra: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": type, "content-length": body.length, ...extra });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    try {
      record("State", header);
    } catch {
      return send(503, Buffer.from('{"errors":[{"code":"UNAVAILABLE"}]}'));
    }
    if (!header.get("x-test-peer") && (!robot || header.get("authorization") !== robot)) {
      return send(401, Buffer.from('{"errors":[{"code":"UNAUTHORIZED"}]}'), "application/json", {
        "www-authenticate": 'Basic realm="Ground Control"',
      });
    }
    if (path === "/v2/") return send(200, Buffer.from("{}"));
    const digest = sha256(state.manifest);
    const manifest = new RegExp(`^/v2/${state.repository}/manifests/(.+)$`).exec(path)?.[1];
    if (manifest === "latest" || manifest === digest)
      return send(200, state.manifest, state.mediaType, { "docker-content-digest": digest });
    const blob = state.blobs.find((b) => path === `/v2/${state.repository}/blobs/${sha256(b)}`);
    if (blob) return send(200, blob, "application/octet-stream", { "docker-content-digest": sha256(blob) });
    send(404, Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'));
  };
  const adapter = connectNodeAdapter({ routes });
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    delete req.headers["x-test-peer"];
    if (options.tls) {
      try {
        const id = verifyTlsPeer(req.socket as TLSSocket, options.tls.source, {
          authorizer: authorizePathPrefix(TrustDomain.parse(options.tls.trustDomain), "/satellite/"),
        });
        req.headers["x-test-peer"] = id.toString();
      } catch {
        // no or bad client SVID: the rpc decides
      }
    }
    const path = (req.url ?? "/").split("?")[0];
    if (options.state && path.startsWith("/v2/")) serveState(req, res, path);
    else adapter(req, res);
  };
  const server = options.tls
    ? createHttpsServer(createServerTlsOptions(options.tls.source), handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    calls,
    failNext(code, times = 1) {
      failures = { code, left: times };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
