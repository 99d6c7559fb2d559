// bench/heartbeat's metrics A/B (--metrics ab): Ground Control with its metrics on and with
// --no-metrics, alternating over --rounds, each run a fresh process under the same load; the
// gateway's CPU per heartbeat of each, medians, and their difference: what the metrics cost on the
// heartbeat path. A scrape's own cost is not per heartbeat (it grows with the fleet, since the
// fleet-wide gauges count every satellite, and with how often Prometheus asks), so by default no
// scrape lands in the measured window (--scrape-interval N puts one every N s there); after each
// metrics-on run the gateway's CPU for one scrape is measured on its own, with nothing else running.
import { setTimeout as sleep } from "node:timers/promises";
import { processTreeCpuSeconds } from "./cpu.js";

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

export interface ScrapeCost {
  /** Gateway CPU ms for the first scrape: every fleet-wide gauge computed (drift walk included). */
  firstMs: number;
  /** Gateway CPU ms for a scrape while the gauges' cached counts are fresh. */
  cachedMs: number;
  bytes: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Scrapes /metrics every `intervalS` seconds until stopped; counts the scrapes and failures. */
export function startScraping(
  url: string,
  intervalS: number,
): { stop(): { scrapes: number; failures: number; bytes: number } } {
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

/**
 * The gateway's CPU for one scrape, less what it spends idle over the same time (timers, the
 * Harbor watcher): one that computes every fleet-wide gauge, then one served from their caches.
 * Background work a scrape starts (a stale count recomputed) is inside the `settleMs` after it.
 */
export async function measureScrapeCost(url: string, gatewayPid: number, settleMs = 1500): Promise<ScrapeCost> {
  const cpuOver = async (work: () => Promise<unknown>) => {
    const before = processTreeCpuSeconds(gatewayPid);
    await work();
    await sleep(settleMs);
    return (processTreeCpuSeconds(gatewayPid) - before) * 1000;
  };
  const idleMs = await cpuOver(async () => {});
  let bytes = 0;
  const scrapeOnce = async () => {
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
  };
  const firstMs = Math.max(0, (await cpuOver(scrapeOnce)) - idleMs);
  const cachedMs = Math.max(0, (await cpuOver(scrapeOnce)) - idleMs);
  return { firstMs: Math.round(firstMs), cachedMs: Math.round(cachedMs), bytes };
}

/** The A/B's lines: each variant's medians, and the key=value last line. */
export function abSummary(runs: Record<Variant, RunFigures[]>, scrapes: ScrapeCost[], satellites: number): string[] {
  const on = runs.on.map((r) => r.gatewayUs);
  const off = runs.off.map((r) => r.gatewayUs);
  const cost = median(on) - median(off);
  // Paired by round (each round ran both, back to back), which cancels the machine's drift.
  const paired = median(runs.on.map((r, i) => r.gatewayUs - (runs.off[i]?.gatewayUs ?? r.gatewayUs)));
  const errors = [...runs.on, ...runs.off].reduce((n, r) => n + r.errors, 0);
  const first = median(scrapes.map((c) => c.firstMs));
  const cached = median(scrapes.map((c) => c.cachedMs));
  return [
    `# one scrape with ${satellites} satellites: ${first} ms of gateway CPU computing the fleet-wide gauges (${scrapes.map((c) => c.firstMs).join(", ")}), ${cached} ms from their caches (${scrapes.map((c) => c.cachedMs).join(", ")}); ${scrapes[0]?.bytes ?? 0} bytes`,
    `# metrics on:  gateway µs per heartbeat ${on.join(", ")} (median ${median(on)}); heartbeats/s median ${median(runs.on.map((r) => r.heartbeatsPerS))}`,
    `# metrics off: gateway µs per heartbeat ${off.join(", ")} (median ${median(off)}); heartbeats/s median ${median(runs.off.map((r) => r.heartbeatsPerS))}`,
    `# metrics cost: ${cost} µs of gateway CPU per heartbeat (difference of medians); ${paired} µs (median of the paired rounds)`,
    `gateway_us_metrics_on=${median(on)} gateway_us_metrics_off=${median(off)} metrics_cost_us=${cost} metrics_cost_paired_us=${paired} scrape_cpu_ms=${first} scrape_cached_cpu_ms=${cached} errors=${errors}`,
  ];
}
