// Sync windows and the bandwidth cap, end to end (issue 13): PostgreSQL, docker-registry behind
// the Harbor emulator, a `ground-control` process and a `satellite` process that reaches Harbor
// through a counting HTTP proxy. Ground Control's config opens a window now that closes at the
// next minute and caps the satellite so the layer cannot finish before. Under the cap the copy is
// a run of bounded Range requests, back to back, each sent when the cap grants its bytes, and it
// asks only for what the cap lets through before the close; it pauses there with its partial
// file kept, the heartbeat says "outside sync window, next window at …", and when the next window
// opens (uncapped) the copy continues with exactly one Range request from where the file ended:
// the bytes served add up to the blob, and it lands under its verified digest. A config change
// then moves the cap without a restart.
import { stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProxiedRequest } from "./counting-proxy.js";
import { eventually, startProcess, type RunningProcess } from "./processes.js";
import {
  assertAlive,
  planWindows,
  startSyncWindowSite,
  WINDOWS_CONFIG,
  type SyncWindowSite,
} from "./sync-window-site.js";

const ADMIN_PASSWORD = "e2e-sync-windows-admin-password";

describe("sync windows, end to end", () => {
  let site: SyncWindowSite;
  let sat: RunningProcess | undefined;

  beforeAll(async () => {
    site = await startSyncWindowSite({ name: "sync-windows-e2e", adminPassword: ADMIN_PASSWORD, satellite: "edge-1" });
  }, 120_000);

  afterAll(async () => {
    await sat?.stop();
    await site?.stop();
  });

  const alive = () => assertAlive(sat);

  it("pauses a copy when its window closes, keeps the partial file, and resumes it with one Range request", async () => {
    const { firstCloses, nextOpens, cap, syncPolicy } = planWindows(site.layer().size);
    const tokenPath = await site.enrol(syncPolicy);
    sat = startProcess("satellite", [...(await site.satelliteArgs()), "--token-file", tokenPath], {});

    // The copy starts inside the first window, capped.
    await site.layerCopyStarted(sat, firstCloses);
    expect(Date.now()).toBeLessThan(firstCloses);

    // The window closes: the copy stops with its bytes kept in ingest/, and the heartbeat says so.
    const expectedLine = `outside sync window, next window at ${new Date(nextOpens).toISOString()}`;
    const paused = await eventually(
      async () => {
        alive();
        const open = site.layerGets().find((r) => !r.done);
        if (open) throw new Error(`a request still open: ${open.range} ${open.bytes} bytes so far`);
        const s = await site.status();
        if (!s.latest?.activity.includes(expectedLine)) throw new Error(`activity: ${s.latest?.activity}`);
        return { firstWindow: site.layerGets(), s };
      },
      firstCloses - Date.now() + 30_000,
      "copy paused and reported",
    );
    expect(Date.now()).toBeLessThan(nextOpens);
    // The cap made the copy bounded Range requests back to back from byte 0, each served whole,
    // and the known close made them stop at what fits before it.
    const { firstWindow } = paused;
    const partial = (await site.ingestFiles()).filter((f) => f.size > 0);
    expect(partial).toHaveLength(1);
    const kept = partial[0].size;
    let next = 0;
    for (const r of firstWindow) {
      expect(r).toMatchObject({ status: 206, cut: false, range: expect.stringMatching(/^bytes=\d+-\d+$/) });
      const [from, to] = r.range!.slice("bytes=".length).split("-").map(Number);
      expect(from).toBe(next);
      expect(r.bytes).toBe(to - from + 1);
      next = to + 1;
    }
    expect(next).toBe(kept);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(site.layer().size);
    expect(sat!.output()).toContain("blob copy paused: the sync window closed");
    // Nothing more of the layer is asked for outside the window.
    expect(site.layerGets()).toHaveLength(firstWindow.length);

    // The next window opens: one Range request from the kept bytes, and the blob is in place.
    const blobPath = await site.layerLanded(sat, nextOpens);
    const gets = site.layerGets();
    expect(gets).toHaveLength(firstWindow.length + 1);
    const resumed = gets[gets.length - 1];
    expect(resumed).toMatchObject({
      status: 206,
      range: `bytes=${kept}-`,
      bytes: site.layer().size - kept,
      cut: false,
    });
    expect((await stat(blobPath)).size).toBe(site.layer().size);
    expect((await site.ingestFiles()).filter((f) => f.name.startsWith("temp"))).toEqual([]);
    // No byte served twice: what all requests served adds up to the blob.
    const served = gets.reduce((n, r) => n + r.bytes, 0);
    expect(served).toBe(site.layer().size);
    // Evidence for the issue: the proxy's log of the layer's requests.
    const line = (r: ProxiedRequest, i: number) =>
      `request ${i + 1}: GET ${r.path} range=${r.range ?? "-"} status=${r.status} bytes_written_by_proxy=${r.bytes} cut=${r.cut}`;
    console.log(
      [
        `layer ${site.layer().digest} size=${site.layer().size} cap=${cap} B/s window closed at ${new Date(firstCloses).toISOString()}, next opened ${new Date(nextOpens).toISOString()}`,
        `first window: ${firstWindow.length} bounded Range requests, back to back, ${kept} bytes:`,
        ...firstWindow.slice(0, 3).map(line),
        "…",
        ...firstWindow.slice(-3).map((r, i) => line(r, firstWindow.length - 3 + i)),
        `next window: ${line(resumed, gets.length - 1)}`,
        `partial file kept at the pause: ${kept} bytes; kept + range bytes = ${kept + resumed.bytes}; bytes served in all = ${served}`,
      ].join("\n"),
    );
    // The blob lands before the pass tags the image: a heartbeat in between has neither the window
    // line nor the image yet, so wait for the one that reports the image.
    const after = await eventually(
      async () => {
        const s = await site.status();
        if (s.latest?.activity.includes("outside sync window")) throw new Error(`activity: ${s.latest?.activity}`);
        if (!s.latest?.cachedImages.some((image) => image.reference.includes("/edge/big:1.0@")))
          throw new Error(`cached: ${s.latest?.cachedImages.map((image) => image.reference).join(", ")}`);
        return s;
      },
      30_000,
      "heartbeat without the window line, reporting the image",
    );
    expect(after.latest?.activity).not.toContain("outside sync window");
  }, 240_000);

  it("applies a new cap from Ground Control without a restart", async () => {
    const pid = sat!.proc.pid;
    await site.stack.admin.fleet.updateConfig({
      config: WINDOWS_CONFIG,
      change: {
        case: "mergePatchJson",
        value: JSON.stringify({ app_config: { sync_policy: { windows: [], max_bytes_per_second: 1234567 } } }),
      },
    });
    await eventually(
      async () => {
        alive();
        if (!/"max_bytes_per_second":1234567/.test(sat!.output())) throw new Error("cap not applied yet");
      },
      30_000,
      "new cap applied",
    );
    expect(sat!.proc.pid).toBe(pid);
    expect(sat!.output()).not.toMatch(/take effect after a restart[^\n]*sync_policy/);
  }, 60_000);
});
