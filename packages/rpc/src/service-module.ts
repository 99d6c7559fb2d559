// How a Ground Control service plugs into the gateway: its Connect routes and, optionally,
// background jobs (outbox publisher, retention) started and stopped with the process.
import type { ConnectRouter } from "@connectrpc/connect";

export interface ServiceModule {
  /** Short name used by `--services`: "fleet", "registry", "heartbeat", "identity". */
  readonly name: string;
  /** Fully-qualified proto service names it serves, e.g. "harbor.satellite.fleet.v1.FleetService". */
  readonly serviceNames: readonly string[];
  /** Registers its handlers. */
  routes(router: ConnectRouter): void;
  /** Starts background jobs; called once after the listener is up. */
  start?(): void;
  /** Stops background jobs and waits for running work. */
  stop?(): Promise<void>;
}
