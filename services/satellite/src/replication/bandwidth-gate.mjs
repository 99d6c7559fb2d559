// @ts-check
// The satellite's one bandwidth cap and its sync-window switch, shared by the main thread and every
// layer-copy worker through one SharedArrayBuffer: a copy reads it with Atomics, so a cap or a
// window change reaches copies in flight without a message.
//
// The cap is a GCRA token bucket (one 64-bit "theoretical arrival time" updated by compare-and-
// swap): a copy that received n bytes reserves n / rate seconds of the satellite's line and, when
// its reservation runs past now + burst, waits that long before reading more. All copies share the
// same reservation clock, so together they never exceed the rate, whatever their number.
// Plain JavaScript because the worker (blob-fetch-worker.mjs) loads it without a TypeScript loader.

/** Slots (BigInt64) of the shared buffer. */
const TAT_NS = 0; // theoretical arrival time, ns since the epoch
const RATE = 1; // bytes per second; 0 = no cap
const BURST_NS = 2; // how far ahead of now reservations may run without waiting
const OPEN = 3; // 1 while layer bytes may be fetched, 0 outside the sync windows
const CLOSES_AT_MS = 4; // when the open window closes, epoch ms; 0 = not known (always open)
const TAKEN = 5; // bytes accounted by take() or count() since the gate was made, capped or not
const SLOTS = 6;

/** Bytes a copy may take at once at any rate: one socket read (raw-http-get's buffer) plus slack. */
const MIN_BURST_BYTES = 512 * 1024;
/** Also the most idle time banked: a timer late by up to this (a busy machine) costs no throughput. */
const MIN_BURST_NS = 100_000_000n;

/** Epoch nanoseconds, comparable across threads (each has its own performance.timeOrigin). */
function nowNs() {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

/** @returns {SharedArrayBuffer} a gate that is open and uncapped */
export function createGateBuffer() {
  const buffer = new SharedArrayBuffer(SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
  Atomics.store(new BigInt64Array(buffer), OPEN, 1n);
  return buffer;
}

/**
 * @param {SharedArrayBuffer} buffer
 */
export function gateView(buffer) {
  const slots = new BigInt64Array(buffer);
  /** @param {number} bytes */
  const reserve = (bytes) => {
    if (bytes <= 0) return 0;
    const rate = Atomics.load(slots, RATE);
    if (rate === 0n) return 0;
    const cost = (BigInt(bytes) * 1_000_000_000n) / rate;
    const burst = Atomics.load(slots, BURST_NS);
    for (;;) {
      const now = nowNs();
      const tat = Atomics.load(slots, TAT_NS);
      // An idle line banks at most one burst: what a late timer lost is made up, no more.
      const start = tat > now - burst ? tat : now - burst;
      const next = start + cost;
      if (Atomics.compareExchange(slots, TAT_NS, tat, next) === tat) {
        const ahead = next - now - burst;
        return ahead > 0n ? Number(ahead) / 1e6 : 0;
      }
    }
  };
  return {
    /** Sets the cap (bytes per second, 0 = none); copies in flight follow it from their next read. */
    setRate(/** @type {number} */ bytesPerSecond) {
      const rate = BigInt(Math.max(0, Math.floor(bytesPerSecond)));
      // Enough burst for one socket read, else a copy would wait after every read.
      const burst = rate === 0n ? 0n : (BigInt(MIN_BURST_BYTES) * 1_000_000_000n) / rate;
      Atomics.store(slots, BURST_NS, burst > MIN_BURST_NS ? burst : MIN_BURST_NS);
      Atomics.store(slots, RATE, rate);
    },
    rate: () => Number(Atomics.load(slots, RATE)),
    /** Bytes all copies read from their sockets through this gate (what the cap paces). */
    taken: () => Number(Atomics.load(slots, TAKEN)),
    setOpen(/** @type {boolean} */ open) {
      Atomics.store(slots, OPEN, open ? 1n : 0n);
    },
    isOpen: () => Atomics.load(slots, OPEN) === 1n,
    /** When the open window closes (epoch ms), or undefined. */
    setClosesAt(/** @type {number | undefined} */ ms) {
      Atomics.store(slots, CLOSES_AT_MS, BigInt(Math.max(0, Math.floor(ms ?? 0))));
    },
    /**
     * The most bytes the cap lets through before the open window closes (what a copy may ask for
     * so that no byte it asks for arrives after the close); Infinity without a cap or a close.
     */
    bytesBeforeClose() {
      const rate = Atomics.load(slots, RATE);
      const closesAt = Atomics.load(slots, CLOSES_AT_MS);
      if (rate === 0n || closesAt === 0n) return Infinity;
      const now = nowNs();
      const tat = Atomics.load(slots, TAT_NS);
      const burst = Atomics.load(slots, BURST_NS);
      const start = tat > now - burst ? tat : now - burst;
      const left = closesAt * 1_000_000n + burst - start;
      return left > 0n ? Number((left * rate) / 1_000_000_000n) : 0;
    },
    /** Ms until the open window closes (0 when unknown or past). */
    msUntilClose() {
      const closesAt = Number(Atomics.load(slots, CLOSES_AT_MS));
      return closesAt === 0 ? 0 : Math.max(0, closesAt - (performance.timeOrigin + performance.now()));
    },
    /**
     * Accounts `bytes` just received; returns how many ms the caller must wait before reading
     * more (0 when uncapped or within the burst).
     * @param {number} bytes
     */
    take(bytes) {
      if (bytes <= 0) return 0;
      Atomics.add(slots, TAKEN, BigInt(bytes));
      return reserve(bytes);
    },
    /** Accounts `bytes` just received that were reserved beforehand (reserve()): no wait. */
    count(/** @type {number} */ bytes) {
      if (bytes > 0) Atomics.add(slots, TAKEN, BigInt(bytes));
    },
    /**
     * Reserves `bytes` of the line without receiving them yet; returns how many ms the caller
     * must wait before asking for them (0 when uncapped or within the burst). A capped copy
     * reserves each bounded Range request this way before sending it.
     */
    reserve,
  };
}

/**
 * A socket's flow control shared by two reasons to stop reading (the file sink's full buffers and
 * the cap): reading resumes only when neither holds it.
 * @param {import("./raw-http-get.mjs").FlowControl} flow
 */
export function sharedFlow(flow) {
  let holders = 0;
  const hold = () => {
    if (holders++ === 0) flow.pause();
  };
  const release = () => {
    if (--holders === 0) flow.resume();
  };
  /** @returns {import("./raw-http-get.mjs").FlowControl} one reason's handle */
  const handle = () => {
    let held = false;
    return {
      pause() {
        if (held) return;
        held = true;
        hold();
      },
      resume() {
        if (!held) return;
        held = false;
        release();
      },
    };
  };
  return { handle };
}
