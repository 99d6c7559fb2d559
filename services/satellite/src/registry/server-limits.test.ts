// The registry's listener runs with the shared serving limits: a client that trickles its
// headers is cut, one address cannot hold more connections than its share, and neither
// stops anyone else from pulling.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openTempStore } from "../store/test-helpers.js";
import { registryLimits, startRegistryServer, type RegistryServer } from "./server.js";

function open(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves true once the server closes the socket, false if still open after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.on("error", () => {});
    socket.resume();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe("registry listener limits", () => {
  let server: RegistryServer | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    await cleanup?.();
  });

  it("keeps no whole-request timeout (long pushes are legitimate) and takes overrides", () => {
    expect(registryLimits().requestMs).toBe(0);
    expect(registryLimits({ maxConnections: 10 })).toMatchObject({
      maxConnections: 10,
      maxConnectionsPerSource: 10,
      requestMs: 0,
    });
    expect(() => registryLimits({ idleMs: 0 })).toThrow(/idleMs/);
  });

  it("cuts a client trickling its headers, caps one address's connections, and still serves others", async () => {
    const opened = await openTempStore();
    cleanup = opened.cleanup;
    server = await startRegistryServer({
      store: opened.store,
      host: "127.0.0.1",
      port: 0,
      limits: { headersMs: 300, idleMs: 2000, maxConnectionsPerSource: 3 },
    });
    const { port, url } = server;

    const loris = await open(port, "127.0.0.3");
    sockets.push(loris);
    loris.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => loris.writable && loris.write("X-Slow: y\r\n"), 100);
    expect(await closedWithin(loris, 5000)).toBe(true);
    clearInterval(drip);

    for (let i = 0; i < 3; i++) sockets.push(await open(port, "127.0.0.2"));
    const fourth = await open(port, "127.0.0.2");
    sockets.push(fourth);
    expect(await closedWithin(fourth, 2000)).toBe(true);
    expect((await fetch(`${url}/v2/`)).status).toBe(200);
  });
});
