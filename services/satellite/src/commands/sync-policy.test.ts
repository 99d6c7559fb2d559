// The wiring of `sync --once` to the edge policy: the gate it builds from the config's windows and
// cap, what it does outside a window (exit, wait, ignore), how a failure is told from a window
// closing, the exit codes, and a whole syncOnce outside its window touching neither the upstream
// nor the store.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SyncPolicyConfig } from "@harbor-satellite/satellite-config";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ImageReplicationError, type ReplicationSummary } from "../replication/index.js";
import { SyncWindowClosedError } from "../replication/sync-gate.js";
import { createFakeClock, settle } from "../scheduler/testing/fake-clock.js";
import { ExitCode } from "./exit-code.js";
import { parseSyncArgs } from "./sync-args.js";
import { exitCodeOf, syncOnce, type SyncOutcome } from "./sync.js";
import { stoppedByWindow, syncGateFor, windowOpen } from "./sync-policy.js";

const MONDAY_NOON = Date.parse("2026-12-07T12:00:00Z");
/** One window a day, 22:00–06:00 UTC, with its own cap; 5 MB/s outside it. */
const NIGHTS: SyncPolicyConfig = {
  windows: [{ days: ["mon"], start: "22:00", duration: "8h", time_zone: "UTC", max_bytes_per_second: 9_000_000 }],
  check_state_outside_window: true,
  max_bytes_per_second: 5_000_000,
};

describe("sync --once under the sync policy", () => {
  it("builds the agent's gate: closed outside the window, the window's cap inside it, the cap alone with --ignore-window", async () => {
    const clock = createFakeClock(MONDAY_NOON);
    const gate = syncGateFor(NIGHTS, "exit", clock);
    expect(gate.isOpen()).toBe(false);
    expect(gate.describe()).toBe("outside sync window, next window at 2026-12-07T22:00:00.000Z");
    await clock.advance(10 * 3_600_000);
    expect(gate.isOpen()).toBe(true);
    expect(gate.rate()).toBe(9_000_000);
    gate.close();

    const ignoring = syncGateFor(NIGHTS, "ignore", createFakeClock(MONDAY_NOON));
    expect(ignoring.isOpen()).toBe(true);
    expect(ignoring.rate()).toBe(5_000_000);
    ignoring.close();
    const none = syncGateFor(undefined, "exit", createFakeClock(MONDAY_NOON));
    expect([none.isOpen(), none.rate()]).toEqual([true, 0]);
    none.close();
  });

  it("outside a window returns at once, or waits for the next one when asked (and stops waiting when interrupted)", async () => {
    const clock = createFakeClock(MONDAY_NOON);
    const gate = syncGateFor(NIGHTS, "wait", clock);
    expect(await windowOpen(gate, "exit")).toBe(false);

    const heard: string[] = [];
    let opened: boolean | undefined;
    void windowOpen(gate, "wait", undefined, (at) => heard.push(new Date(at).toISOString())).then(
      (open) => (opened = open),
    );
    expect(heard).toEqual(["2026-12-07T22:00:00.000Z"]);
    await clock.advance(10 * 3_600_000 - 1);
    await settle();
    expect(opened).toBeUndefined();
    await clock.advance(1);
    await settle();
    expect(opened).toBe(true);

    await clock.advance(8 * 3_600_000); // closed again
    const interrupt = new AbortController();
    const waiting = windowOpen(gate, "wait", interrupt.signal);
    interrupt.abort(new Error("SIGTERM"));
    await expect(waiting).rejects.toThrow("SIGTERM");
    gate.close();
  });

  it("tells a window closing on a copy from any other failure, through wrapped causes", () => {
    const closed = new ImageReplicationError("lib/app:v1", new Error("copy", { cause: new SyncWindowClosedError(0) }));
    expect(stoppedByWindow(closed)).toBe(true);
    expect(stoppedByWindow(new ImageReplicationError("lib/app:v1", new Error("404 MANIFEST_UNKNOWN")))).toBe(false);
    expect(stoppedByWindow(undefined)).toBe(false);
  });

  it("maps outcomes to exit codes: failure 1 before window 3 before refused signatures 4", () => {
    const summary = (failed: ReplicationSummary["failed"]): ReplicationSummary => ({
      bytes: 0,
      blobsCopied: 0,
      blobsSkipped: 0,
      seconds: 0,
      requests: 0,
      images: failed,
      failed,
      owned: [],
    });
    const failure = (cause: unknown) => ({
      image: "lib/a:1",
      status: "failed" as const,
      blobsCopied: 0,
      blobsSkipped: 0,
      error: new ImageReplicationError("lib/a:1", cause),
    });
    const paused = failure(new SyncWindowClosedError(undefined));
    const broken = failure(new Error("HTTP 500"));
    const refused = [
      {
        image: "lib/b:1",
        reason: "unsigned",
        message: "not served: signature required (unsigned): no cosign signature found",
      },
    ];
    const synced = (failed: ReplicationSummary["failed"], r = refused): SyncOutcome => ({
      kind: "synced",
      summary: summary(failed),
      refused: r,
    });
    expect(exitCodeOf({ kind: "outside-window", message: "outside sync window" })).toBe(ExitCode.OutsideSyncWindow);
    expect(exitCodeOf(synced([paused, broken]))).toBe(ExitCode.Failure);
    expect(exitCodeOf(synced([paused]))).toBe(ExitCode.OutsideSyncWindow);
    expect(exitCodeOf(synced([]))).toBe(ExitCode.SignatureRefused);
    expect(exitCodeOf(synced([], []))).toBe(ExitCode.Ok);
  });

  describe("a whole pass outside its window", () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "sync-policy-"))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it("asks no upstream and writes no store, whether the policy comes from --config or the data dir's config.json", async () => {
      const document = JSON.stringify({ app_config: { encrypt_config: false, sync_policy: NIGHTS } });
      await writeFile(join(dir, "policy.json"), document);
      const dataDir = join(dir, "data");
      // Port 9 (discard) on loopback: any request would fail the pass instead of this outcome.
      const args = ["--once", "--upstream", "http://127.0.0.1:9", "--image", "lib/app:v1", "--data-dir", dataDir];
      const quiet = ["--log-level", "silent"];
      const fromFlag = await syncOnce(
        parseSyncArgs([...args, ...quiet, "--config", join(dir, "policy.json")], {}),
        undefined,
        {
          clock: createFakeClock(MONDAY_NOON),
        },
      );
      expect(fromFlag).toEqual({
        kind: "outside-window",
        message: "outside sync window, next window at 2026-12-07T22:00:00.000Z",
      });
      await expect(readdir(dataDir)).rejects.toMatchObject({ code: "ENOENT" });

      await rm(dataDir, { recursive: true, force: true });
      const { mkdir } = await import("node:fs/promises");
      await mkdir(dataDir);
      await writeFile(join(dataDir, "config.json"), document);
      const fromDataDir = await syncOnce(parseSyncArgs([...args, ...quiet], {}), undefined, {
        clock: createFakeClock(MONDAY_NOON),
      });
      expect(fromDataDir.kind).toBe("outside-window");
      expect(await readdir(dataDir)).toEqual(["config.json"]);
    });
  });
});
