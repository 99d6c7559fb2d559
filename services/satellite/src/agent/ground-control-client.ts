// The satellite's side of Ground Control: enrolment (ZTR) and heartbeats, as Connect rpcs.
//   token mode:  plain HTTP(S); TokenZtr with the single-use token; Sync with the robot's Basic
//                credentials (Ground Control lets a robot report only as its own satellite).
//   SPIFFE mode: mTLS with this device's SVID; SpiffeZtr and Sync identify us by the SVID. The
//                TLS options are built per call, so a rotated SVID is presented at the next call,
//                and the server must prove the expected Ground Control ID (default
//                spiffe://<our trust domain>/gc/main); hostnames are never checked.
// Every call carries the active trace context (clientTracingInterceptor), so one trace spans
// satellite → gateway → service → Harbor. Tokens and secrets never appear in errors.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { ConnectionOptions } from "node:tls";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { HeartbeatService, SyncRequestSchema } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import {
  IdentityService,
  type StateConfig as ZtrStateConfig,
} from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import {
  authorizeID,
  createClientTlsOptions,
  groundControlSpiffeId,
  SpiffeId,
  type X509Source,
} from "@harbor-satellite/spiffe";
import { clientTracingInterceptor } from "@harbor-satellite/telemetry";

/** What ZTR hands a satellite: where its state is and the robot that reads it. */
export interface Enrolment {
  satellite: string;
  stateUrl: string;
  registryUrl: string;
  auth: { url: string; username: string; password: string };
}

/** One heartbeat, in the shape of SyncRequest (digests and figures already collected). */
export interface Heartbeat {
  name: string;
  activity: string;
  stateReportInterval: string;
  latestStateDigest: string;
  latestConfigDigest: string;
  memoryUsedBytes: bigint;
  storageUsedBytes: bigint;
  cpuPercent: number;
  createdAt: Date;
  lastSyncDurationMs: bigint;
  cachedImages: { reference: string; sizeBytes: bigint }[];
  errors: { reference: string; message: string }[];
  /** Credential refresh (credential-refresh.ts): new robot credentials may come in the answer. */
  acceptsRobotCredentials?: boolean;
  /** The rotation id of the last refreshed credentials saved. */
  robotCredentialsAck?: string;
}

export interface GroundControlClient {
  readonly mode: "token" | "spiffe";
  enrol(signal?: AbortSignal): Promise<Enrolment>;
  /** `robot` is required in token mode (Basic auth); ignored in SPIFFE mode. */
  heartbeat(
    beat: Heartbeat,
    robot: { username: string; password: string } | undefined,
    signal?: AbortSignal,
  ): Promise<HeartbeatAnswer>;
  close(): void;
}

/** Ground Control's answer to a heartbeat: where the satellite state is now and its digest (each empty when unknown). */
export interface HeartbeatAnswer {
  stateUrl: string;
  stateDigest: string;
  /** New robot credentials Ground Control rotated for this satellite (credential refresh). */
  robotCredentials?: { username: string; password: string; rotationId: string };
}

/** A Ground Control call that failed; `code` is the Connect code, `permanent` when retrying cannot help. */
export class GroundControlError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: Code,
    message: string,
    readonly permanent: boolean,
  ) {
    super(`${rpc}: ${message}`);
    this.name = "GroundControlError";
  }
}

export interface GroundControlClientOptions {
  url: string;
  /** Token mode: the ZTR token (absent once enrolled: heartbeats need only the robot). */
  token?: string;
  /** SPIFFE mode: the device's SVID source and, optionally, Ground Control's expected ID. */
  spiffe?: { source: X509Source; expectedServerId?: string; readyTimeoutMs?: number };
  /** Token mode over https: extra CA certificates, or no verification (app_config.tls). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  timeoutMs?: number;
  interceptors?: Interceptor[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createGroundControlClient(options: GroundControlClientOptions): GroundControlClient {
  if (options.token && options.spiffe)
    throw new Error("Ground Control client takes a token or a SPIFFE source, not both");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const interceptors = [clientTracingInterceptor(), ...(options.interceptors ?? [])];
  const https = options.url.startsWith("https:");
  const agent = options.spiffe
    ? undefined
    : https
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 4,
          ca: options.tls?.ca,
          rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const plainTransport = agent
    ? createConnectTransport({
        baseUrl: options.url,
        httpVersion: "1.1",
        useBinaryFormat: true,
        interceptors,
        nodeOptions: { agent },
      })
    : undefined;

  const spiffeTransport = async (): Promise<Transport> => {
    const { source, readyTimeoutMs = 10_000 } = options.spiffe!;
    if (!source.ready) await source.waitUntilReady(readyTimeoutMs);
    // A fresh agent per call: the current SVID is presented, and no TLS session is resumed
    // (a resumed session would skip the server-identity check).
    const tls = groundControlTlsOptions(options.spiffe!);
    return createConnectTransport({
      baseUrl: options.url,
      httpVersion: "1.1",
      useBinaryFormat: true,
      interceptors,
      nodeOptions: { ...tls, agent: false },
    });
  };
  const transport = () => (plainTransport ? Promise.resolve(plainTransport) : spiffeTransport());

  const call = async <T>(rpc: string, fn: (t: Transport) => Promise<T>): Promise<T> => {
    try {
      return await fn(await transport());
    } catch (error) {
      throw toGroundControlError(rpc, error, options.token);
    }
  };

  return {
    mode: options.spiffe ? "spiffe" : "token",
    async enrol(signal) {
      if (!options.spiffe) {
        if (!options.token)
          throw new GroundControlError(
            "TokenZtr",
            Code.FailedPrecondition,
            "not enrolled and no token: start with --token (from IssueZtrToken) or --spiffe-enabled",
            true,
          );
        const res = await call("TokenZtr", (t) =>
          createClient(IdentityService, t).tokenZtr({ token: options.token! }, { signal, timeoutMs }),
        );
        return toEnrolment("TokenZtr", res.stateConfig);
      }
      const res = await call("SpiffeZtr", (t) => createClient(IdentityService, t).spiffeZtr({}, { signal, timeoutMs }));
      return toEnrolment("SpiffeZtr", res.stateConfig);
    },
    async heartbeat(beat, robot, signal) {
      const headers: Record<string, string> = {};
      if (!options.spiffe) {
        if (!robot)
          throw new GroundControlError("Sync", Code.Unauthenticated, "no robot credentials yet (not enrolled)", false);
        headers.authorization = `Basic ${Buffer.from(`${robot.username}:${robot.password}`).toString("base64")}`;
      }
      const request = create(SyncRequestSchema, {
        satellite: beat.name,
        // The deprecated name too until v0.3, so a Ground Control older than v0.2 (which reads
        // only that) still knows the satellite; newer ones accept both when they agree.
        name: beat.name,
        activity: beat.activity,
        stateReportInterval: beat.stateReportInterval,
        latestStateDigest: beat.latestStateDigest,
        latestConfigDigest: beat.latestConfigDigest,
        memoryUsedBytes: beat.memoryUsedBytes,
        storageUsedBytes: beat.storageUsedBytes,
        cpuPercent: beat.cpuPercent,
        requestCreateTime: timestampFromDate(beat.createdAt),
        lastSyncDurationMs: beat.lastSyncDurationMs,
        imageCount: beat.cachedImages.length,
        cachedImages: beat.cachedImages,
        errors: beat.errors,
        acceptsRobotCredentials: beat.acceptsRobotCredentials ?? false,
        robotCredentialsAck: beat.robotCredentialsAck ?? "",
      });
      const answer = await call("Sync", (t) =>
        createClient(HeartbeatService, t).sync(request, { signal, timeoutMs, headers }),
      );
      const refreshed = answer.robotCredentials;
      return {
        stateUrl: answer.satelliteStateUrl,
        stateDigest: answer.satelliteStateDigest,
        robotCredentials: refreshed?.password
          ? { username: refreshed.username, password: refreshed.password, rotationId: refreshed.rotationId }
          : undefined,
      };
    },
    close() {
      agent?.destroy();
    },
  };
}

/**
 * node:tls options for SPIFFE mTLS to Ground Control, built now: the current SVID, and a server
 * that must prove the expected Ground Control ID (default spiffe://<our trust domain>/gc/main).
 * Also used to read the satellite state, which Ground Control serves on the same port.
 */
export function groundControlTlsOptions(spiffe: { source: X509Source; expectedServerId?: string }): ConnectionOptions {
  const own = spiffe.source.getX509Svid().id;
  const expected = spiffe.expectedServerId
    ? SpiffeId.parse(spiffe.expectedServerId)
    : groundControlSpiffeId(own.trustDomain);
  return createClientTlsOptions(spiffe.source, authorizeID(expected));
}

function toEnrolment(rpc: string, config: ZtrStateConfig | undefined): Enrolment {
  const auth = config?.auth;
  const missing = [
    ["state_url", config?.stateUrl],
    ["auth.username", auth?.username],
    ["auth.password", auth?.password],
    ["auth.url or registry_url", auth?.url || config?.registryUrl],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (!config || !auth || missing.length > 0)
    throw new GroundControlError(
      rpc,
      Code.Internal,
      `Ground Control's answer lacks ${missing.join(", ") || "a state config"}`,
      false,
    );
  return {
    satellite: config.satellite,
    stateUrl: config.stateUrl,
    registryUrl: config.registryUrl || auth.url,
    auth: { url: auth.url || config.registryUrl, username: auth.username, password: auth.password },
  };
}

/** Codes after which the same request can never succeed (a used token stays used). */
const PERMANENT = new Set([Code.InvalidArgument, Code.PermissionDenied, Code.NotFound, Code.Unimplemented]);

function toGroundControlError(rpc: string, error: unknown, token: string | undefined): GroundControlError {
  if (error instanceof GroundControlError) return error;
  const err = ConnectError.from(error);
  let message = err.rawMessage || err.message;
  if (token) message = message.split(token).join("[redacted]");
  const permanent = PERMANENT.has(err.code) || (rpc === "TokenZtr" && err.code === Code.Unauthenticated);
  const hint =
    rpc === "TokenZtr" && err.code === Code.Unauthenticated
      ? " (the token is unknown, used or expired: issue a new one with IssueZtrToken)"
      : "";
  return new GroundControlError(rpc, err.code, `${Code[err.code]}: ${message}${hint}`, permanent);
}
