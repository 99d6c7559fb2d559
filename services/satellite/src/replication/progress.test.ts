import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.js";

describe("progress", () => {
  it("sums bytes from this thread and the shared counters, and logs bytes, rate and ETA at its cadence", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString())), cb()) }),
    );
    const progress = createProgress({ logger, intervalMs: 20 });
    progress.expect(3000);
    progress.start();
    progress.received(1000);
    Atomics.add(new BigInt64Array(progress.counters), 0, 500n);
    Atomics.add(new BigInt64Array(progress.counters), 1, 2n);
    await new Promise((r) => setTimeout(r, 60));
    progress.stop();
    expect(progress.bytes).toBe(1500);
    expect(progress.workerRequests).toBe(2);
    // One line when bytes moved, none while they stood still.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "replication progress", bytes: 1500, expected_bytes: 3000 });
    expect(lines[0].rate_mbps).toEqual(expect.any(Number));
    expect(lines[0].eta_s).toEqual(expect.any(Number));
  });
});
