// The load generator's HTTP/1.1 caller: Connect binary over keep-alive connections, the way our
// satellites send heartbeats (one connection each, reused, one request at a time on it).
// `--connections` bounds the pool; a call waits for a free connection, as a satellite's next
// heartbeat would. Requests go out as raw bytes on net sockets: each satellite's request head is
// encoded once (only Content-Length is written per call) and replies are read by a minimal
// HTTP/1.1 response parser, so the generator, which shares the two cores with the gateway and
// PostgreSQL, spends ~25 µs a call instead of the ~90 µs of Node's http client with its header
// objects and per-request streams. The gateway sees the same bytes a satellite's Go client sends.
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
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
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
  private readonly idle: Connection[] = [];
  /** Calls waiting for a connection, first in first out (`waitingHead` is the next). */
  private waiting: Call[] = [];
  private waitingHead = 0;
  private readonly hostHeader: string;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
    const release = (connection: Connection) => {
      const next = this.nextWaiting();
      if (next) connection.send(next);
      else this.idle.push(connection);
    };
    for (let i = 0; i < connections; i++) this.idle.push(new Connection(this.host, this.port, release));
  }

  /** A satellite's request head (request line and headers, ending just before Content-Length's value), encoded once. */
  head(path: string, authorization: string): RequestHead {
    return Buffer.from(
      `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-type: application/proto\r\n` +
        `connect-protocol-version: 1\r\nauthorization: ${authorization}\r\ncontent-length: `,
      "latin1",
    );
  }

  /** Sends one unary call with a protobuf body; resolves with its outcome, never rejects. */
  call(head: RequestHead, body: Buffer): Promise<UnaryResult> {
    return new Promise<UnaryResult>((resolve) => {
      const call: Call = { head, body, resolve };
      const connection = this.idle.pop();
      if (connection) connection.send(call);
      else this.waiting.push(call);
    });
  }

  close(): void {
    for (const connection of this.idle) connection.close();
  }

  private nextWaiting(): Call | undefined {
    if (this.waitingHead === this.waiting.length) return undefined;
    const call = this.waiting[this.waitingHead++];
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
    return call;
  }
}
