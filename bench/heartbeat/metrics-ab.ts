// bench/heartbeat's metrics A/B (--metrics ab): Ground Control with its metrics on (scraped like
// Prometheus would, every --scrape-interval seconds) and with --no-metrics, alternating over
// --rounds, each run a fresh process under the same load; the gateway's CPU per heartbeat of each,
// medians, and their difference: what the metrics cost on the heartbeat path.

export interface RunFigures {
  gatewayUs: number;
  postgresUs: number;
  loadUs: number;
  heartbeatsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export type Variant = "on" | "off";

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Scrapes /metrics every `intervalS` seconds until stopped; counts the scrapes and failures. */
export function startScraping(url: string, intervalS: number): { stop(): { scrapes: number; failures: number; bytes: number } } {
  let scrapes = 0;
  let failures = 0;
  let bytes = 0;
  const scrape = async () => {
    try {
      const res = await fetch(url);
      const body = await res.arrayBuffer();
      if (res.ok) {
        scrapes++;
        bytes = body.byteLength;
      } else failures++;
    } catch {
      failures++;
    }
  };
  void scrape();
  const timer = setInterval(() => void scrape(), intervalS * 1000);
  return {
    stop() {
      clearInterval(timer);
      return { scrapes, failures, bytes };
    },
  };
}

/** The A/B's lines: each variant's medians, and the key=value last line. */
export function abSummary(runs: Record<Variant, RunFigures[]>): string[] {
  const on = runs.on.map((r) => r.gatewayUs);
  const off = runs.off.map((r) => r.gatewayUs);
  const cost = median(on) - median(off);
  // Paired by round (each round ran both, back to back), which cancels the machine's drift.
  const paired = median(runs.on.map((r, i) => r.gatewayUs - (runs.off[i]?.gatewayUs ?? r.gatewayUs)));
  const errors = [...runs.on, ...runs.off].reduce((n, r) => n + r.errors, 0);
  return [
    `# metrics on:  gateway µs per heartbeat ${on.join(", ")} (median ${median(on)}); heartbeats/s median ${median(runs.on.map((r) => r.heartbeatsPerS))}`,
    `# metrics off: gateway µs per heartbeat ${off.join(", ")} (median ${median(off)}); heartbeats/s median ${median(runs.off.map((r) => r.heartbeatsPerS))}`,
    `# metrics cost: ${cost} µs of gateway CPU per heartbeat (difference of medians); ${paired} µs (median of the paired rounds)`,
    `gateway_us_metrics_on=${median(on)} gateway_us_metrics_off=${median(off)} metrics_cost_us=${cost} metrics_cost_paired_us=${paired} errors=${errors}`,
  ];
}
