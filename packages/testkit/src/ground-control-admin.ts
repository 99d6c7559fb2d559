// An admin's Connect clients for a running Ground Control: log in once, send the session on
// every call. Used by end-to-end tests and the quickstart.
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { ConnectionOptions } from "node:tls";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";

export interface AdminClients {
  fleet: Client<typeof FleetService>;
  identity: Client<typeof IdentityService>;
  heartbeat: Client<typeof HeartbeatService>;
}

/**
 * Logs in as admin and returns clients that send the session. `tls` is for an https Ground
 * Control (e.g. its CA, and a hostname check replaced, for one serving a SPIFFE SVID).
 */
export async function adminClients(baseUrl: string, password: string, tls?: ConnectionOptions): Promise<AdminClients> {
  const anonymous = createClient(
    IdentityService,
    createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: tls }),
  );
  const { sessionToken } = await anonymous.login({ username: "admin", password });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${sessionToken}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer], nodeOptions: tls });
  return {
    fleet: createClient(FleetService, transport),
    identity: createClient(IdentityService, transport),
    heartbeat: createClient(HeartbeatService, transport),
  };
}
