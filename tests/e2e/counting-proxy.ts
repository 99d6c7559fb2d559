// An HTTP proxy that records every request it forwards: method, path, Range header, status and the
// body bytes it wrote back. Tests put it between a satellite and Harbor (--harbor-registry-url) to
// count blob requests and the bytes each one served.
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { freePort } from "@harbor-satellite/testkit";

export interface ProxiedRequest {
  method: string;
  path: string;
  range?: string;
  status?: number;
  /** Body bytes written to the client (the satellite) for this request. */
  bytes: number;
  /** True once the response ended or the client went away. */
  done: boolean;
  /** The client closed before the body ended. */
  cut: boolean;
}

export interface CountingProxy {
  url: string;
  requests: ProxiedRequest[];
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const to = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const entry: ProxiedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      range: req.headers.range,
      bytes: 0,
      done: false,
      cut: false,
    };
    requests.push(entry);
    const headers = { ...req.headers, host: to.host };
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
      (answer: IncomingMessage) => {
        entry.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on("data", (chunk: Buffer) => {
          entry.bytes += chunk.length;
          // Backpressure: read the upstream only as fast as the client takes the bytes.
          if (!res.write(chunk)) {
            answer.pause();
            res.once("drain", () => answer.resume());
          }
        });
        answer.on("end", () => {
          entry.done = true;
          res.end();
        });
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => {
      if (!entry.done) entry.cut = true;
      entry.done = true;
      upstream.destroy();
    });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
