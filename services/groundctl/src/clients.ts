// Connect clients for a Target: HTTP/1.1 (or HTTP/2 with --http2) to its URL, its CA when given,
// its credentials on every call.
import { readFile } from "node:fs/promises";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { UsageError } from "./exit-codes.js";
import type { Credentials, Target } from "./target.js";

export interface Clients {
  fleet: Client<typeof FleetService>;
  heartbeat: Client<typeof HeartbeatService>;
  identity: Client<typeof IdentityService>;
}

export const clientsOn = (transport: Transport): Clients => ({
  fleet: createClient(FleetService, transport),
  heartbeat: createClient(HeartbeatService, transport),
  identity: createClient(IdentityService, transport),
});

export function authorizationHeader(credentials: Credentials): string {
  if (credentials.kind === "bearer") return `Bearer ${credentials.token}`;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

export interface Connection {
  transport: Transport;
  /** Closes an HTTP/2 session (HTTP/1.1 keep-alive sockets do not hold the process). */
  close(): void;
}

/** Sends the target's credentials (if any) on every call. */
export function authInterceptors(target: Target): Interceptor[] {
  if (!target.credentials) return [];
  const header = authorizationHeader(target.credentials);
  return [
    (next) => (req) => {
      req.header.set("authorization", header);
      return next(req);
    },
  ];
}

/** The transport a Target describes. Reads the CA file; unreadable is a usage error. */
export async function connectTo(target: Target): Promise<Connection> {
  const interceptors = authInterceptors(target);
  let tls: { ca?: string; rejectUnauthorized?: boolean } = {};
  if (target.url.startsWith("https:")) {
    if (target.caFile) {
      try {
        tls.ca = await readFile(target.caFile, "utf8");
      } catch (error) {
        throw new UsageError(`cannot read --ca-file ${target.caFile}: ${(error as Error).message}`);
      }
    }
    if (target.insecureSkipVerify) tls.rejectUnauthorized = false;
  } else {
    tls = {};
  }
  const common = { baseUrl: target.url, interceptors, defaultTimeoutMs: target.timeoutMs, useBinaryFormat: true };
  if (!target.http2)
    return { transport: createConnectTransport({ ...common, httpVersion: "1.1", nodeOptions: tls }), close: () => {} };
  const sessionManager = new Http2SessionManager(target.url, undefined, tls);
  return {
    transport: createConnectTransport({ ...common, httpVersion: "2", sessionManager }),
    close: () => sessionManager.abort(),
  };
}
