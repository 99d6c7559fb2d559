import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemoryDatabase, type DatabaseHandle } from "@harbor-satellite/db";
import { createLogger } from "@harbor-satellite/telemetry";
import { startTestMetrics, type TestMetrics } from "@harbor-satellite/telemetry/metrics-testing";
import { createOutboxPublisher } from "../publisher.js";
import { createFleetStore } from "../store/index.js";
import { enqueue } from "../store/outbox-store.js";
import { createFakeRegistry } from "../testing.js";
import { observeOutbox, readOutboxFigures } from "./outbox-metrics.js";

describe("outbox metrics", () => {
  let handle: DatabaseHandle;
  let m: TestMetrics;

  beforeAll(async () => {
    m = startTestMetrics();
    handle = await openMemoryDatabase();
  });
  afterAll(async () => {
    await handle?.close();
    await m?.stop();
  });

  it("reports depth and oldest age per kind, zero for empty kinds", async () => {
    await enqueue(handle.db, [
      { kind: "publish-group-state", subject: "a" },
      { kind: "publish-group-state", subject: "b" },
      { kind: "sync-robot", subject: "s" },
    ]);
    await handle.db.execute(sql`update outbox set created_at = now() - interval '90 seconds' where subject = 'a'`);
    const figures = await readOutboxFigures(handle.db);
    expect(figures["publish-group-state"].depth).toBe(2);
    expect(figures["publish-group-state"].oldestAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(figures["sync-robot"].depth).toBe(1);
    expect(figures["publish-config-state"]).toEqual({ depth: 0, oldestAgeSeconds: 0 });

    const stop = observeOutbox(handle.db);
    try {
      expect(await m.sum("ground_control.outbox.depth", { "outbox.kind": "publish-group-state" })).toBe(2);
      expect(await m.sum("ground_control.outbox.depth", { "outbox.kind": "publish-satellite-state" })).toBe(0);
      expect(
        await m.sum("ground_control.outbox.oldest_age", { "outbox.kind": "publish-group-state" }),
      ).toBeGreaterThanOrEqual(90);
    } finally {
      stop();
    }
  });

  it("counts the jobs the publisher ran by outcome", async () => {
    const registry = createFakeRegistry();
    const publisher = createOutboxPublisher(
      createFleetStore(handle.db),
      registry.client,
      createLogger({ name: "t", level: "silent" }),
      { baseDelayMs: 60_000, random: () => 1 },
    );
    registry.down = true;
    await publisher.flush();
    expect(await m.sum("ground_control.outbox.jobs", { "outbox.kind": "sync-robot", outcome: "failed" })).toBe(1);
    await handle.db.execute(sql`update outbox set next_attempt_at = now()`);
    registry.down = false;
    await publisher.flush();
    // Groups that do not exist have their state deleted: done.
    expect(
      await m.sum("ground_control.outbox.jobs", { "outbox.kind": "publish-group-state", outcome: "published" }),
    ).toBe(2);
    expect((await readOutboxFigures(handle.db))["publish-group-state"].depth).toBe(0);
  });
});
