// `--metrics-addr`: /metrics on a plaintext HTTP/1.1 listener of its own, for scrapers that cannot
// reach the gateway port as it is (SPIFFE mTLS there wants a client SVID; a public port may be
// better without them). It answers /metrics and nothing else, under the shared serving limits.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { applyHttp1Limits, capConnections, guardRequests, resolveLimits } from "@harbor-satellite/serving";
import type { Logger } from "@harbor-satellite/telemetry";
import { ConfigError } from "../config.js";
import { METRICS_PATH, serveMetrics, type Metrics } from "@harbor-satellite/telemetry/metrics";

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenMetrics(address: { host: string; port: number }, metrics: Metrics, logger: Logger): Promise<MetricsListener> {
  // A scraper or two, not a fleet: a small connection cap, the usual timeouts.
  const limits = resolveLimits({ maxConnections: 64, maxConnectionsPerSource: 16 });
  const server: Server = createServer(
    guardRequests(
      (req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === METRICS_PATH) return serveMetrics(metrics, req, res);
        res.writeHead(404, { "content-type": "text/plain" }).end(`only ${METRICS_PATH} is served here\n`);
      },
      { logger, server: "metrics" },
    ),
  );
  applyHttp1Limits(server, limits);
  capConnections(server, limits);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why = { EADDRINUSE: "the port is in use", EACCES: "permission denied", EADDRNOTAVAIL: "no such address on this machine" }[error.code ?? ""];
      reject(why ? new ConfigError(`cannot listen on ${address.host}:${address.port} for metrics: ${why}; choose another --metrics-addr`) : error);
    });
    server.listen(address.port, address.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
