// Types of the plain-JS bandwidth gate (bandwidth-gate.mjs) for TypeScript importers.
import type { FlowControl } from "./raw-http-get.mjs";

export interface GateView {
  setRate(bytesPerSecond: number): void;
  rate(): number;
  /** Bytes all copies read through this gate. */
  taken(): number;
  setOpen(open: boolean): void;
  isOpen(): boolean;
  setClosesAt(ms: number | undefined): void;
  /** Bytes the cap lets through before the open window closes; Infinity without a cap or a close. */
  bytesBeforeClose(): number;
  msUntilClose(): number;
  /** Accounts bytes received; the ms to wait before reading more. */
  take(bytes: number): number;
  /** Accounts bytes received that reserve() paid for beforehand. */
  count(bytes: number): void;
  /** Reserves bytes not received yet; the ms to wait before asking for them. */
  reserve(bytes: number): number;
}

export function createGateBuffer(): SharedArrayBuffer;
export function gateView(buffer: SharedArrayBuffer): GateView;
export function sharedFlow(flow: FlowControl): { handle(): FlowControl };
