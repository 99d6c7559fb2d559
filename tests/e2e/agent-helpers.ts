// Helpers for the satellite agent's end-to-end tests: an admin Connect client for Ground Control,
// and a TCP proxy on a fixed loopback port whose target can change, so the upstream
// docker-registry can be stopped for real and restarted (on another port) behind the same URL.
import { connect, createServer, type Server, type Socket } from "node:net";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import { HeartbeatService } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { freePort } from "@harbor-satellite/testkit";

export interface AdminClients {
  fleet: Client<typeof FleetService>;
  identity: Client<typeof IdentityService>;
  heartbeat: Client<typeof HeartbeatService>;
}

/** Logs in as admin and returns clients that send the session. */
export async function adminClients(baseUrl: string, password: string): Promise<AdminClients> {
  const anonymous = createClient(IdentityService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  const { sessionToken } = await anonymous.login({ username: "admin", password });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${sessionToken}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
  return { fleet: createClient(FleetService, transport), identity: createClient(IdentityService, transport), heartbeat: createClient(HeartbeatService, transport) };
}

export interface RetargetableProxy {
  url: string;
  /** Sends new connections to this port from now on (and cuts the open ones). */
  retarget(port: number): void;
  stop(): Promise<void>;
}

export async function startRetargetableProxy(targetPort: number): Promise<RetargetableProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let target = targetPort;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    retarget(next) {
      target = next;
      for (const s of sockets) s.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
