// The satellite's sync policy at run time (issue 13): whether layer bytes may be fetched now (the
// sync windows) and how fast (one bandwidth cap for all copies, optionally another per window).
// The verdict lives in a SharedArrayBuffer (bandwidth-gate.mjs) that every layer-copy worker reads,
// so a window closing or a cap changing reaches copies in flight at their next socket read. A
// timer re-evaluates the windows at each boundary; `apply` takes a new policy (a config change)
// without a restart.
import type { SyncPolicyConfig } from "@harbor-satellite/satellite-config";
import { systemClock, type Clock, type TimerHandle } from "../scheduler/clock.js";
import type { TempFile } from "../store/content-store.js";
import {
  compileWindows,
  describeClosed,
  nextBoundary,
  nextOpening,
  windowStatus,
  type CompiledWindow,
  type WindowStatus,
} from "../scheduler/sync-windows.js";
import { createGateBuffer, gateView } from "./bandwidth-gate.mjs";

/** A layer fetch refused or paused because no sync window is open; retried in the next window. */
export class SyncWindowClosedError extends Error {
  constructor(readonly nextOpenAt: number | undefined) {
    super(describeClosed({ open: false, nextOpenAt }));
    this.name = "SyncWindowClosedError";
  }
}

/** A layer copy a closing window stopped: its temp file holds the first `bytes` of the blob, fsynced. */
export interface PausedCopy {
  temp: TempFile;
  bytes: number;
  /** Kept on disk under its digest (the store's keepPartial): it survives a restart, and engine close. */
  durable?: boolean;
}

export interface SyncGate {
  /** Shared with the layer copies on every thread (FetchBlobTask.gate). */
  readonly buffer: SharedArrayBuffer;
  status(): WindowStatus;
  isOpen(): boolean;
  /** Throws SyncWindowClosedError outside the windows. */
  assertOpen(): void;
  /** The error for a copy the window stopped (names the next opening). */
  closedError(): SyncWindowClosedError;
  /** Accounts bytes received on this thread; ms to wait before reading more. */
  take(bytes: number): number;
  /** The cap in force now (bytes per second, 0 = none). */
  rate(): number;
  /** Whether state and manifests are read outside the windows. */
  checksStateOutsideWindow(): boolean;
  /** The heartbeat's line while closed ("outside sync window, next window at <ISO>"). */
  describe(): string | undefined;
  /** Takes a new policy now (hot reload); copies in flight follow it. */
  apply(policy: SyncPolicyConfig): void;
  /** Called after every change of open/closed or cap. */
  onChange(listener: (status: WindowStatus) => void): void;
  close(): void;
}

export const NO_SYNC_POLICY: SyncPolicyConfig = {
  windows: [],
  check_state_outside_window: true,
  max_bytes_per_second: 0,
};

export function createSyncGate(policy: SyncPolicyConfig = NO_SYNC_POLICY, clock: Clock = systemClock): SyncGate {
  const buffer = createGateBuffer();
  const view = gateView(buffer);
  const listeners: ((status: WindowStatus) => void)[] = [];
  let current = policy;
  let windows: CompiledWindow[] = [];
  let status: WindowStatus = { open: true };
  let timer: TimerHandle | undefined;

  const evaluate = () => {
    timer?.cancel();
    timer = undefined;
    const now = clock.now();
    status = windowStatus(windows, now);
    const cap = status.open ? (status.maxBytesPerSecond ?? current.max_bytes_per_second) : current.max_bytes_per_second;
    view.setRate(cap);
    // The copies measure what is left of the window on the wall clock (bandwidth-gate.mjs: a
    // worker thread cannot read this clock), so the close goes over as "wall now + time left".
    // With the system clock that is the close itself; on another (a test's) it still means
    // "closes in this long", where the raw instant on the wall clock would not.
    view.setClosesAt(
      status.open && status.closesAt !== undefined
        ? performance.timeOrigin + performance.now() + (status.closesAt - now)
        : undefined,
    );
    view.setOpen(status.open);
    const boundary = nextBoundary(status);
    if (boundary !== undefined) timer = clock.setTimer(evaluate, Math.max(0, boundary - now));
    for (const listener of listeners) listener(status);
  };

  const apply = (next: SyncPolicyConfig) => {
    current = next;
    windows = compileWindows(next);
    evaluate();
  };
  apply(policy);

  return {
    buffer,
    status: () => status,
    isOpen: () => status.open,
    assertOpen() {
      if (!status.open) throw new SyncWindowClosedError(status.nextOpenAt);
    },
    closedError: () => new SyncWindowClosedError(status.open ? nextOpening(windows, clock.now()) : status.nextOpenAt),
    take: (bytes) => view.take(bytes),
    rate: () => view.rate(),
    checksStateOutsideWindow: () => current.check_state_outside_window,
    describe: () => describeClosed(status),
    apply,
    onChange: (listener) => void listeners.push(listener),
    close() {
      timer?.cancel();
      timer = undefined;
    },
  };
}
