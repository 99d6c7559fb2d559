// The load generator's HTTP/1.1 caller: Connect binary over keep-alive connections, the way our
// satellites send heartbeats (one connection each, reused, one request at a time on it).
// `--connections` bounds the pool; a call waits for a free connection, as a satellite's next
// heartbeat would. Requests go out as raw bytes on net sockets: each satellite's request head is
// encoded once (only Content-Length is written per call) and replies are read by a minimal
// HTTP/1.1 response parser, so the generator, which shares the two cores with the gateway and
// PostgreSQL, spends ~25 µs a call instead of the ~90 µs of Node's http client with its header
// objects and per-request streams. The gateway sees the same bytes a satellite's Go client sends.
//
// Pinned (`--connections` ≥ satellites): each satellite has its own connection, as a fleet does,
// and against a loopback gateway each connection comes from its own loopback address (127.x.y.z),
// as each satellite has its own address: the gateway's per-source connection limit then sees a
// fleet, not 5,000 connections from one host. A heartbeat waits only for its own satellite's
// previous one. With fewer connections than satellites the pool is shared: a call takes any free
// connection and waits for one when all are busy, so a slow reply delays other satellites' calls.
import { connect, type Socket } from "node:net";
import type { UnaryResult } from "./h2-client.js";
import { ResponseReader, type ParsedResponse } from "./h1-response.js";

/** One satellite's request line and headers up to Content-Length's value, encoded once. */
export type RequestHead = Buffer;

interface Call {
  head: RequestHead;
  body: Buffer;
  resolve(result: UnaryResult): void;
}

const CRLF2 = Buffer.from("\r\n\r\n");

class Connection {
  private socket: Socket | undefined;
  private readonly reader = new ResponseReader();
  private current: Call | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly release: (connection: Connection) => void,
    private readonly localAddress: string | undefined,
  ) {}

  send(call: Call): void {
    this.current = call;
    const socket = this.socket ?? this.open();
    socket.cork();
    socket.write(call.head);
    socket.write(`${call.body.length}`, "latin1");
    socket.write(CRLF2);
    socket.write(call.body);
    socket.uncork();
  }

  close(): void {
    this.socket?.destroy();
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true, localAddress: this.localAddress });
    this.socket = socket;
    this.reader.reset();
    socket.on("data", (chunk: Buffer) => {
      let response: ParsedResponse | undefined;
      try {
        response = this.reader.push(chunk);
      } catch {
        return this.fail(socket, "bad_response");
      }
      if (response) this.done(response);
    });
    socket.on("error", () => this.fail(socket, "request_error"));
    socket.on("close", () => this.fail(socket, "request_error"));
    return socket;
  }

  private done(response: ParsedResponse): void {
    const call = this.current;
    this.current = undefined;
    if (response.close) {
      this.socket?.destroy();
      this.socket = undefined;
    }
    call?.resolve(response.status === 200 ? { ok: true } : { ok: false, code: errorCode(response) });
    this.release(this);
  }

  private fail(socket: Socket, code: string): void {
    if (socket !== this.socket) return;
    socket.destroy();
    this.socket = undefined;
    const call = this.current;
    this.current = undefined;
    if (call) {
      call.resolve({ ok: false, code });
      this.release(this);
    }
  }
}

/** The Connect error code of a non-200 reply, or its HTTP status. */
function errorCode(response: ParsedResponse): string {
  try {
    return (JSON.parse(response.body.toString("utf8")) as { code?: string }).code ?? `http_${response.status}`;
  } catch {
    return `http_${response.status}`;
  }
}

export class H1Pool {
  private readonly connections: Connection[] = [];
  private readonly idle: Connection[] = [];
  /** Shared pool: calls waiting for any connection. Pinned: calls waiting for their own. */
  private readonly waiting = new Map<Connection | undefined, Fifo<Call>>();
  /** Pinned: connections with a call in flight (shared: those not in `idle`). */
  private readonly busy = new Set<Connection>();
  private readonly hostHeader: string;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    count: number,
    private readonly pinned = false,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
    const ownSources = pinned && this.host.startsWith("127.");
    for (let i = 0; i < count; i++) {
      const connection = new Connection(
        this.host,
        this.port,
        (c) => this.release(c),
        ownSources ? loopbackSource(i) : undefined,
      );
      this.connections.push(connection);
      if (!pinned) this.idle.push(connection);
    }
  }

  /** A satellite's request head (request line and headers, ending just before Content-Length's value), encoded once. */
  head(path: string, authorization: string): RequestHead {
    return Buffer.from(
      `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-type: application/proto\r\n` +
        `connect-protocol-version: 1\r\nauthorization: ${authorization}\r\ncontent-length: `,
      "latin1",
    );
  }

  /** Sends one unary call of satellite `slot` with a protobuf body; resolves with its outcome, never rejects. */
  call(head: RequestHead, body: Buffer, slot: number): Promise<UnaryResult> {
    return new Promise<UnaryResult>((resolve) => {
      const call: Call = { head, body, resolve };
      if (this.pinned) {
        const own = this.connections[slot % this.connections.length];
        if (this.busy.has(own)) this.enqueue(own, call);
        else {
          this.busy.add(own);
          own.send(call);
        }
      } else {
        const connection = this.idle.pop();
        if (connection) connection.send(call);
        else this.enqueue(undefined, call);
      }
    });
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }

  private enqueue(connection: Connection | undefined, call: Call): void {
    let queue = this.waiting.get(connection);
    if (!queue) this.waiting.set(connection, (queue = new Fifo<Call>()));
    queue.push(call);
  }

  private release(connection: Connection): void {
    const key = this.pinned ? connection : undefined;
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (queue?.empty) this.waiting.delete(key);
    if (next) connection.send(next);
    else if (this.pinned) this.busy.delete(connection);
    else this.idle.push(connection);
  }
}

/** First in, first out, without Array#shift's copying when thousands wait. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get empty(): boolean {
    return this.head === this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.empty) return undefined;
    const item = this.items[this.head++];
    if (this.empty) {
      this.items = [];
      this.head = 0;
    }
    return item;
  }
}

/** Connection `i`'s own loopback address: 127.1.1.1, 127.1.1.2, … (every octet 1–255). */
function loopbackSource(i: number): string {
  return `127.${1 + Math.floor(i / 65025)}.${1 + (Math.floor(i / 255) % 255)}.${1 + (i % 255)}`;
}
