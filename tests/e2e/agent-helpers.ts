// Helpers for the satellite agent's end-to-end tests: a TCP proxy on a fixed loopback port whose
// target can change, so the upstream docker-registry can be stopped for real and restarted (on
// another port) behind the same URL.
import { connect, createServer, type Server, type Socket } from "node:net";
import { freePort } from "@harbor-satellite/testkit";

// Admin clients live in the test kit (the quickstart uses them too).
export { adminClients } from "@harbor-satellite/testkit/ground-control-admin";
export type { AdminClients } from "@harbor-satellite/testkit/ground-control-admin";

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
