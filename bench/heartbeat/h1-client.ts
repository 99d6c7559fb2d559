// The load generator's HTTP/1.1 caller: Connect binary over keep-alive connections, the way our
// satellites send heartbeats (one connection each, reused). `--connections` bounds the pool; a
// call waits for a free connection, as a satellite's next heartbeat would.
import { Agent, request } from "node:http";
import type { UnaryResult } from "./h2-client.js";

export class H1Pool {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(baseUrl: string, connections: number) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** Sends one unary call with a protobuf body; resolves with its outcome, never rejects. */
  call(path: string, authorization: string, body: Buffer): Promise<UnaryResult> {
    return new Promise<UnaryResult>((resolve) => {
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method: "POST",
          path,
          headers: {
            "content-type": "application/proto",
            "connect-protocol-version": "1",
            authorization,
            "content-length": body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            if (res.statusCode === 200) return resolve({ ok: true });
            let code = `http_${res.statusCode}`;
            try {
              code = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { code?: string }).code ?? code;
            } catch {
              // keep the HTTP status
            }
            resolve({ ok: false, code });
          });
          res.on("error", () => resolve({ ok: false, code: "response_error" }));
        },
      );
      req.on("error", () => resolve({ ok: false, code: "request_error" }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
