// A lean unary caller over multiplexed HTTP/2 connections for the load generator: requests are
// encoded once per satellite (only the report time is appended per call), so the generator
// spends its share of the two cores on sending, not on building messages. Speaks the Connect
// protocol (binary, `application/proto`) or gRPC, as the gateway serves both.
import { connect, constants, type ClientHttp2Session } from "node:http2";

export type Protocol = "connect" | "grpc";

export interface UnaryResult {
  ok: boolean;
  /** Connect/gRPC code name or HTTP status when not ok. */
  code?: string;
}

const {
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_STATUS,
  HTTP2_HEADER_CONTENT_TYPE,
  HTTP2_HEADER_AUTHORIZATION,
} = constants;

const GRPC_CODES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

export class H2Pool {
  private readonly sessions: ClientHttp2Session[] = [];
  private next = 0;

  constructor(
    private readonly baseUrl: string,
    connections: number,
    private readonly protocol: Protocol,
  ) {
    for (let i = 0; i < connections; i++) this.sessions.push(this.open());
  }

  private open(): ClientHttp2Session {
    const session = connect(this.baseUrl, { settings: { initialWindowSize: 4 << 20 } });
    session.once("connect", () => session.setLocalWindowSize(16 << 20));
    session.on("error", () => undefined); // surfaced per request
    return session;
  }

  /** Sends one unary call with a protobuf body; resolves with its outcome, never rejects. */
  call(path: string, authorization: string, body: Buffer): Promise<UnaryResult> {
    const index = this.next++ % this.sessions.length;
    let session = this.sessions[index];
    if (session.closed || session.destroyed) session = this.sessions[index] = this.open();
    const grpc = this.protocol === "grpc";
    const headers = {
      [HTTP2_HEADER_METHOD]: "POST",
      [HTTP2_HEADER_PATH]: path,
      [HTTP2_HEADER_CONTENT_TYPE]: grpc ? "application/grpc+proto" : "application/proto",
      [HTTP2_HEADER_AUTHORIZATION]: authorization,
      ...(grpc ? { te: "trailers" } : { "connect-protocol-version": "1" }),
    };
    return new Promise<UnaryResult>((resolve) => {
      let status = 0;
      let grpcStatus: string | undefined;
      const chunks: Buffer[] = [];
      const stream = session.request(headers);
      stream.on("response", (h) => {
        status = Number(h[HTTP2_HEADER_STATUS]);
        if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
      });
      stream.on("trailers", (t) => {
        if (t["grpc-status"] !== undefined) grpcStatus = String(t["grpc-status"]);
      });
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", () => resolve({ ok: false, code: "stream_error" }));
      stream.on("end", () => {
        if (grpc) {
          const ok = status === 200 && grpcStatus === "0";
          resolve(
            ok
              ? { ok }
              : {
                  ok,
                  code: grpcStatus !== undefined ? (GRPC_CODES[Number(grpcStatus)] ?? grpcStatus) : `http_${status}`,
                },
          );
          return;
        }
        if (status === 200) return resolve({ ok: true });
        let code = `http_${status}`;
        try {
          code = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { code?: string }).code ?? code;
        } catch {
          // keep the HTTP status
        }
        resolve({ ok: false, code });
      });
      stream.end(grpc ? grpcFrame(body) : body);
    });
  }

  close(): void {
    for (const s of this.sessions) s.close();
  }
}

function grpcFrame(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}
