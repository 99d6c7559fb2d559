// The outbox as metrics: how much work waits for Harbor and for how long (read from the table
// when metrics are collected, kept 15 s), and what the publisher did with each job.
//   ground_control.outbox.depth       gauge {job}, outbox.kind: rows not yet done
//   ground_control.outbox.oldest_age  gauge s, outbox.kind: age of the oldest such row (0 when none)
//   ground_control.outbox.jobs        counter {job}, outbox.kind, outcome: published (done),
//                                     waiting (a state it pins is not published yet), failed (retried later)
import { sql } from "drizzle-orm";
import type { Executor, OutboxKind } from "@harbor-satellite/db";
import { cachedValue, instrumentScope, type Attributes } from "@harbor-satellite/telemetry/metrics";

export const OUTBOX_KINDS = [
  "publish-group-state",
  "publish-satellite-state",
  "publish-config-state",
  "sync-robot",
] as const satisfies readonly OutboxKind[];
export type JobOutcome = "published" | "waiting" | "failed";

const scope = instrumentScope("@harbor-satellite/fleet");
const depth = scope.observableGauge("ground_control.outbox.depth", {
  unit: "{job}",
  description: "Outbox rows not yet done (queued, retrying or running), per kind.",
});
const oldest = scope.observableGauge("ground_control.outbox.oldest_age", {
  unit: "s",
  description: "Age of the oldest outbox row not yet done, per kind; 0 when none.",
});
const jobs = scope.counter("ground_control.outbox.jobs", {
  unit: "{job}",
  description: "Outbox jobs the publisher ran, per kind and outcome (published, waiting, failed).",
});

const KIND_ATTRIBUTES: Partial<Record<OutboxKind, Attributes>> = Object.fromEntries(
  OUTBOX_KINDS.map((kind) => [kind, { "outbox.kind": kind }]),
);
const jobAttributes = new Map<string, Attributes>();

/** Counts one job the publisher ran. */
export function countOutboxJob(kind: OutboxKind, outcome: JobOutcome): void {
  const key = `${kind} ${outcome}`;
  let attributes = jobAttributes.get(key);
  if (!attributes) jobAttributes.set(key, (attributes = { "outbox.kind": kind, outcome }));
  jobs.add(1, attributes);
}

export interface OutboxFigures {
  depth: number;
  oldestAgeSeconds: number;
}

/** Rows not yet done and the oldest one's age, per kind (every kind present, zero when empty). */
export async function readOutboxFigures(db: Executor): Promise<Record<OutboxKind, OutboxFigures>> {
  const result = await db.execute(sql`
    select kind, count(*) as depth, extract(epoch from (now() - min(created_at))) as oldest
    from outbox group by kind`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    kind: OutboxKind;
    depth: number | string;
    oldest: number | string | null;
  }[];
  const figures = Object.fromEntries(OUTBOX_KINDS.map((kind) => [kind, { depth: 0, oldestAgeSeconds: 0 }])) as Record<
    OutboxKind,
    OutboxFigures
  >;
  for (const row of rows)
    figures[row.kind] = { depth: Number(row.depth), oldestAgeSeconds: Math.max(0, Number(row.oldest ?? 0)) };
  return figures;
}

/** Reports the outbox's depth and oldest age at every collection until the returned function is called. */
export function observeOutbox(db: Executor, ttlMs = 15_000): () => void {
  const figures = cachedValue(ttlMs, () => readOutboxFigures(db));
  const report =
    (pick: (f: OutboxFigures) => number) =>
    async (result: { observe(value: number, attributes: Attributes): void }) => {
      const current = await figures();
      for (const [kind, f] of Object.entries(current) as [OutboxKind, OutboxFigures][])
        result.observe(pick(f), KIND_ATTRIBUTES[kind] ?? { "outbox.kind": kind });
    };
  const stops = [depth.addCallback(report((f) => f.depth)), oldest.addCallback(report((f) => f.oldestAgeSeconds))];
  return () => stops.forEach((stop) => stop());
}
