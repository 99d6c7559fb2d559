// Instruments that modules define once, at import time, through the OpenTelemetry metrics API.
// The API has no proxy meter: an instrument made before a meter provider is registered stays a
// no-op forever. So each instrument here is a handle bound to the current global meter, and
// rebound (observable callbacks re-registered) whenever the provider changes (startMetrics, a
// test's in-memory reader, shutdown). Recording is one property read and the SDK's call; with no
// provider it is the API's no-op. This file imports only @opentelemetry/api, so hot modules (the
// satellite's replication engine, `sync --once`) can use it without loading any SDK.
import {
  createNoopMeter,
  metrics,
  ValueType,
  type Attributes,
  type MetricOptions,
  type ObservableResult,
} from "@opentelemetry/api";

export { ValueType };
export type { Attributes, ObservableResult };

interface Bindable {
  bind(): void;
}

const noop = createNoopMeter();
const instruments: Bindable[] = [];
let enabled = false;

/** True while a meter provider set up by this package (or a test) is registered. */
export function metricsEnabled(): boolean {
  return enabled;
}

/** Rebinds every instrument to the global meter provider as it is now; called when it changes. */
export function rebindInstruments(on: boolean): void {
  enabled = on;
  for (const instrument of instruments) instrument.bind();
}

function track<T extends Bindable>(instrument: T): T {
  instruments.push(instrument);
  instrument.bind();
  return instrument;
}

type Options = MetricOptions & { unit: string; description: string };

export class HistogramHandle {
  private current = noop.createHistogram("noop");

  constructor(
    private readonly scope: string,
    readonly name: string,
    private readonly options: Options,
  ) {}

  bind(): void {
    this.current = metrics.getMeter(this.scope).createHistogram(this.name, this.options);
  }

  record(value: number, attributes?: Attributes): void {
    this.current.record(value, attributes);
  }
}

export class CounterHandle {
  private current = noop.createCounter("noop");

  constructor(
    private readonly scope: string,
    readonly name: string,
    private readonly options: Options,
  ) {}

  bind(): void {
    this.current = metrics.getMeter(this.scope).createCounter(this.name, this.options);
  }

  add(value: number, attributes?: Attributes): void {
    this.current.add(value, attributes);
  }
}

export class UpDownCounterHandle {
  private current = noop.createUpDownCounter("noop");

  constructor(
    private readonly scope: string,
    readonly name: string,
    private readonly options: Options,
  ) {}

  bind(): void {
    this.current = metrics.getMeter(this.scope).createUpDownCounter(this.name, this.options);
  }

  add(value: number, attributes?: Attributes): void {
    this.current.add(value, attributes);
  }
}

/** Reports into the gauge at collection time; may be async (the collection waits for it). */
export type GaugeCallback = (result: ObservableResult) => void | Promise<void>;

/** An observable gauge fed by any number of callbacks, each added and removed by its owner. */
export class ObservableGaugeHandle {
  private readonly callbacks = new Set<GaugeCallback>();
  private unbind: (() => void) | undefined;

  constructor(
    private readonly scope: string,
    readonly name: string,
    private readonly options: Options,
  ) {}

  bind(): void {
    this.unbind?.();
    const gauge = metrics.getMeter(this.scope).createObservableGauge(this.name, this.options);
    // Every callback reports, even when another fails; the first failure reaches the SDK's log.
    const observe = async (result: ObservableResult) => {
      const settled = await Promise.allSettled([...this.callbacks].map(async (callback) => callback(result)));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
    };
    gauge.addCallback(observe);
    this.unbind = () => gauge.removeCallback(observe);
  }

  /** Registers a callback; the returned function removes it (call it when the owner stops). */
  addCallback(callback: GaugeCallback): () => void {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }
}

/** Instrument factories for one instrumentation scope (the meter's name). */
export interface InstrumentScope {
  histogram(name: string, options: Options): HistogramHandle;
  counter(name: string, options: Options): CounterHandle;
  upDownCounter(name: string, options: Options): UpDownCounterHandle;
  observableGauge(name: string, options: Options): ObservableGaugeHandle;
}

export function instrumentScope(scope: string): InstrumentScope {
  return {
    histogram: (name, options) => track(new HistogramHandle(scope, name, options)),
    counter: (name, options) => track(new CounterHandle(scope, name, options)),
    upDownCounter: (name, options) => track(new UpDownCounterHandle(scope, name, options)),
    observableGauge: (name, options) => track(new ObservableGaugeHandle(scope, name, options)),
  };
}

/** Bucket boundaries the semantic conventions give for `*.duration` histograms in seconds. */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * A value computed on demand and kept for `ttlMs`, for gauges read from the database or the disk
 * at scrape time: scrapes within the window (several Prometheus servers, a burst) cost nothing,
 * and concurrent ones share the computation in flight. A failed computation is not kept. With
 * `serveStale`, an expired value is answered at once while a fresh one is computed behind it
 * (for computations slower than a scrape's timeout, e.g. walking a large fleet). `ttlMs` may be a
 * function, asked at every read (a window that grows with what the computation costs).
 */
export function cachedValue<T>(
  ttlMs: number | (() => number),
  compute: () => Promise<T>,
  options: { now?: () => number; serveStale?: boolean } = {},
): () => Promise<T> {
  const now = options.now ?? (() => performance.now());
  const ttl = typeof ttlMs === "number" ? () => ttlMs : ttlMs;
  let value: { at: number; value: T } | undefined;
  let running: Promise<T> | undefined;
  const refresh = () =>
    (running ??= compute().then(
      (result) => {
        value = { at: now(), value: result };
        running = undefined;
        return result;
      },
      (error: unknown) => {
        running = undefined;
        throw error;
      },
    ));
  return () => {
    if (value && now() - value.at < ttl()) return Promise.resolve(value.value);
    if (value && options.serveStale) {
      refresh().catch(() => undefined);
      return Promise.resolve(value.value);
    }
    return refresh();
  };
}
