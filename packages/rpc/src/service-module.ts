// How a Ground Control service plugs into the gateway: its Connect routes and, optionally,
// background jobs (outbox publisher, retention) started and stopped with the process, and faster
// decoders for its busiest requests.
import type { ConnectRouter } from "@connectrpc/connect";

/**
 * Decodes one request message type from protobuf bytes, or returns undefined to leave the bytes
 * to protobuf-es (which then decodes them, or refuses them in its own words). What it returns
 * must be what protobuf-es's fromBinary would.
 */
export type BinaryDecoder = (bytes: Uint8Array) => unknown;

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
  /** Request message type name → its decoder, used by the gateway's lean unary path. */
  readonly binaryDecoders?: ReadonlyMap<string, BinaryDecoder>;
}
