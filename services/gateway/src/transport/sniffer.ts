// The plaintext front of the one port: a TCP server that reads a connection's first bytes and
// hands the socket to the HTTP/2 server (h2c: the connection preface) or the HTTP/1.1 server
// (anything else). Until then the socket is ours, so two things are ours to get right: a
// connection that sends nothing is closed after `firstByteMs` (otherwise it holds a file
// descriptor forever, and enough of them lock every client out), and an error on the socket
// (ECONNRESET right after connect) must have a listener, or Node throws it and the process dies.
import type { Server as Http1Server } from "node:http";
import type { Http2Server } from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface SniffTargets {
  http1: Http1Server;
  h2c: Http2Server;
  /** A connection must send its first byte within this. */
  firstByteMs: number;
}

const ignore = () => undefined;

/** True when `first` is (the start of) the HTTP/2 connection preface. */
export function isH2Preface(first: Buffer): boolean {
  return first.length >= H2_PREFACE.length
    ? first.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)
    : H2_PREFACE.subarray(0, first.length).equals(first);
}

export function createSniffingServer(targets: SniffTargets): Server {
  // noDelay: Node's HTTP servers turn Nagle's algorithm off on the sockets they accept, but these
  // are accepted here and handed over, so without it a reply written in two parts could wait for
  // the client's delayed ACK (up to 40 ms on Linux) before its second part leaves.
  return createNetServer({ noDelay: true }, (socket) => sniff(socket, targets));
}

function sniff(socket: Socket, { http1, h2c, firstByteMs }: SniffTargets): void {
  // Stays for the socket's life: the servers it is handed to add their own, and a second
  // listener that ignores is harmless; before the handover it is the only one.
  socket.on("error", ignore);
  // Refused by the connection cap, which runs first.
  if (socket.destroyed) return;
  const silent = setTimeout(() => socket.destroy(), firstByteMs);
  silent.unref();
  socket.once("close", () => clearTimeout(silent));
  socket.once("data", (first: Buffer) => {
    clearTimeout(silent);
    socket.pause();
    socket.unshift(first);
    if (isH2Preface(first)) {
      // The HTTP/2 session reads the buffered preface itself on the next tick; resuming
      // here would flush it to nobody.
      h2c.emit("connection", socket);
    } else {
      http1.emit("connection", socket);
      socket.resume();
    }
  });
}
