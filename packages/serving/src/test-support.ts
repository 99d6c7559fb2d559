// Raw sockets for the serving tests: connect, and wait until the server closes a socket.
import { connect, type Socket } from "node:net";

export function openSocket(port: number, localAddress = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves with how long it took the peer to close `socket`, or "open" after `withinMs`. */
export function closedWithin(socket: Socket, withinMs: number): Promise<number | "open"> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(0);
    const timer = setTimeout(() => resolve("open"), withinMs);
    socket.on("error", () => {});
    // Read whatever the server sends, so its close is seen.
    socket.resume();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}
