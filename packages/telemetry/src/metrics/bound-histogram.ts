// Histograms for the hottest paths (every rpc, every registry request), with their attribute sets
// bound once. The SDK's Histogram.record hashes its attributes on every call (their keys sorted
// and JSON-stringified: ~1–2 µs with three attributes, and garbage for the collector), which the
// metrics API gives no way to avoid: it has no bound instruments. A bound series here is a
// bucket array its owner keeps; recording is a bucket search and four additions. The SDK reads
// every series at collection through a MetricProducer (bound-producer.ts), so they are exported
// like any instrument: Prometheus and OTLP, cumulative, with the same names and attributes.
import type { Attributes } from "@opentelemetry/api";
import { metricsEnabled } from "./instruments.js";

export interface BoundHistogramOptions {
  unit: string;
  description: string;
  /** Inclusive upper bounds of the buckets, ascending; one more bucket holds the rest. */
  boundaries: readonly number[];
}

/** One attribute set's histogram. */
export class BoundHistogram {
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  readonly startTime = Date.now();

  constructor(
    private readonly boundaries: readonly number[],
    readonly attributes: Attributes,
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  /** Records one value; nothing while no meter provider reads metrics. */
  record(value: number): void {
    if (!metricsEnabled()) return;
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

/** A histogram instrument whose series are bound to attribute sets by their owners. */
export class BoundHistogramFamily {
  private readonly bound = new Map<string, BoundHistogram>();

  constructor(
    readonly scope: string,
    readonly name: string,
    readonly options: BoundHistogramOptions,
  ) {}

  /**
   * The series of these attributes: keep it and record into it. Binding the same attributes
   * again (another interceptor, another server in the process) returns the same series, so no
   * attribute set is ever exported twice.
   */
  bind(attributes: Attributes): BoundHistogram {
    const key = JSON.stringify(
      Object.keys(attributes)
        .sort()
        .map((k) => [k, attributes[k]]),
    );
    let series = this.bound.get(key);
    if (!series) this.bound.set(key, (series = new BoundHistogram(this.options.boundaries, attributes)));
    return series;
  }

  /** The series that recorded something. */
  series(): readonly BoundHistogram[] {
    return [...this.bound.values()].filter((s) => s.count > 0);
  }
}

const families: BoundHistogramFamily[] = [];

export function boundHistogram(scope: string, name: string, options: BoundHistogramOptions): BoundHistogramFamily {
  const family = new BoundHistogramFamily(scope, name, options);
  families.push(family);
  return family;
}

/** Every bound histogram family, for the producer. */
export function boundHistogramFamilies(): readonly BoundHistogramFamily[] {
  return families;
}
