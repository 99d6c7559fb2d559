// A plaintext HTTP/1.1 listener answering /metrics and nothing else, for scrapers that cannot, or
// should not, reach a process's main port (Ground Control's in SPIFFE mTLS wants a client SVID;
// a public port may be better without them). Shared serving limits, a small connection cap.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { applyHttp1Limits, capConnections, guardRequests, resolveLimits } from "@harbor-satellite/serving";
import type { Logger } from "pino";
import { METRICS_PATH, serveMetrics } from "./http.js";
import type { Metrics } from "./provider.js";

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** The address could not be listened on, for a reason the operator can fix (`reason` says which). */
export class MetricsListenError extends Error {
  constructor(
    readonly address: string,
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(`cannot listen on ${address} for metrics: ${reason}`, options);
    this.name = "MetricsListenError";
  }
}

const REASONS: Record<string, string> = {
  EADDRINUSE: "the port is in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "no such address on this machine",
};

export async function listenMetrics(
  address: { host: string; port: number },
  metrics: Metrics,
  logger: Pick<Logger, "error" | "warn">,
): Promise<MetricsListener> {
  // A scraper or two, not a fleet.
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
      const reason = REASONS[error.code ?? ""];
      const host = address.host.includes(":") ? `[${address.host}]` : address.host;
      reject(reason ? new MetricsListenError(`${host}:${address.port}`, reason, { cause: error }) : error);
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
