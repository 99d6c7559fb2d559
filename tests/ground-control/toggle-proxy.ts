// A TCP proxy on a fixed loopback port that can be switched off and on again, to make Harbor
// "go down" and "come back" at the same URL without losing the emulator's state.
import { connect, createServer, type Server, type Socket } from "node:net";
import { freePort } from "@harbor-satellite/testkit";

export interface ToggleProxy {
  url: string;
  /** Refuses new connections and cuts open ones. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startToggleProxy(target: { host: string; port: number }): Promise<ToggleProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };

  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });

  const down = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await up();
  return { url: `http://127.0.0.1:${port}`, down, up, stop: down };
}
