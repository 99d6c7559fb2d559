// A paused layer copy survives a satellite restart (issue 13, edge sites reboot): PostgreSQL,
// docker-registry behind the Harbor emulator, a `ground-control` process and a `satellite` process
// reaching Harbor through a counting HTTP proxy, as in sync-windows.test.ts. A window closes
// mid-copy (the cap makes the layer outlast it): the copy pauses and its partial file is kept in
// ingest/ under the layer's digest. The satellite is then killed (SIGKILL, as a power cut would)
// and started again outside the window; the new process keeps the partial file through its
// start-up recovery, and when the next window opens the copy continues with exactly one Range
// request from the kept offset: the bytes served add up to the blob, which lands under its
// verified digest.
import { stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startProcess, type RunningProcess } from "./processes.js";
import { assertAlive, planWindows, startSyncWindowSite, type SyncWindowSite } from "./sync-window-site.js";

const ADMIN_PASSWORD = "e2e-sync-windows-restart-admin-password";

describe("a paused copy across a satellite restart, end to end", () => {
  let site: SyncWindowSite;
  let sat: RunningProcess | undefined;
  let args: string[];

  beforeAll(async () => {
    site = await startSyncWindowSite({
      name: "sync-windows-restart-e2e",
      adminPassword: ADMIN_PASSWORD,
      satellite: "edge-r",
    });
  }, 120_000);

  afterAll(async () => {
    if (process.env.AGENT_E2E_DUMP) process.stdout.write(sat?.output() ?? "");
    await sat?.stop();
    await site?.stop();
  });

  const alive = () => assertAlive(sat);

  it("keeps the partial file through a kill and a restart, and resumes it with one Range request", async () => {
    const { firstCloses, nextOpens, cap, syncPolicy } = planWindows(site.layer().size);
    const tokenPath = await site.enrol(syncPolicy);
    args = await site.satelliteArgs();
    sat = startProcess("satellite", [...args, "--token-file", tokenPath], {});

    await site.layerCopyStarted(sat, firstCloses);
    // The window closes: the copy pauses, its bytes kept under the layer's digest.
    const partialName = `partial-sha256-${site.layer().digest.slice("sha256:".length)}`;
    const kept = await eventually(
      async () => {
        alive();
        const open = site.layerGets().find((r) => !r.done);
        if (open) throw new Error(`a layer request still open: ${open.bytes} bytes so far`);
        const partial = (await site.ingestFiles()).find((f) => f.name === partialName);
        if (!partial) throw new Error(`no kept partial file yet: ${JSON.stringify(await site.ingestFiles())}`);
        return partial.size;
      },
      firstCloses - Date.now() + 30_000,
      "copy paused with its partial file kept",
    );
    // Under the cap the copy asked only for what fits before the close (in one or more bounded
    // Range requests, each from where the last ended): what they served is what the file kept.
    const before = site.layerGets();
    let offset = 0;
    for (const r of before) {
      expect(r).toMatchObject({ status: 206, range: `bytes=${offset}-${offset + r.bytes - 1}`, cut: false });
      offset += r.bytes;
    }
    expect(offset).toBe(kept);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(site.layer().size);

    // A power cut: no graceful stop. The partial file stays, and a new process keeps it at start-up.
    await sat.stop("SIGKILL");
    expect(Date.now()).toBeLessThan(nextOpens - 15_000);
    expect((await site.ingestFiles()).find((f) => f.name === partialName)?.size).toBe(kept);
    sat = startProcess("satellite", args, {});
    await eventually(
      async () => {
        alive();
        if (!sat!.output().includes('"partials":1')) throw new Error("store not open yet");
        const s = await site.status();
        if (!s.latest?.activity.includes("outside sync window")) throw new Error(`activity: ${s.latest?.activity}`);
      },
      Math.max(nextOpens - Date.now() - 1_000, 5_000),
      "restarted satellite outside its window, partial kept",
    );
    expect(Date.now()).toBeLessThan(nextOpens);
    expect(site.layerGets()).toHaveLength(before.length);
    expect((await site.ingestFiles()).find((f) => f.name === partialName)?.size).toBe(kept);

    // The next window opens: one Range request from the kept offset, and the blob is in place.
    const blobPath = await site.layerLanded(sat, nextOpens);
    const gets = site.layerGets();
    const after = gets.slice(before.length);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      status: 206,
      range: `bytes=${kept}-`,
      bytes: site.layer().size - kept,
      cut: false,
    });
    // No byte served twice: what every request served adds up to the blob.
    expect(gets.reduce((n, r) => n + r.bytes, 0)).toBe(site.layer().size);
    expect((await stat(blobPath)).size).toBe(site.layer().size);
    // The kept file became the blob (a manifest write of the same pass may still be in ingest/).
    expect((await site.ingestFiles()).filter((f) => /^(partial|temp)-/.test(f.name))).toEqual([]);
    expect(sat.output()).toContain("paused layer copies kept on disk");
    console.log(
      [
        `layer ${site.layer().digest} size=${site.layer().size} cap=${cap} B/s window closed at ${new Date(firstCloses).toISOString()}, satellite killed and restarted, next window ${new Date(nextOpens).toISOString()}`,
        `before the kill: ${before.length} request(s), ranges ${before[0].range} … ${before.at(-1)!.range}, ${kept} bytes served, all 206, none cut`,
        ...after.map(
          (r) => `after the restart: GET ${r.path} range=${r.range} status=${r.status} bytes=${r.bytes} cut=${r.cut}`,
        ),
        `kept across the restart: ${kept} bytes; bytes served in all = ${gets.reduce((n, r) => n + r.bytes, 0)}`,
      ].join("\n"),
    );
    await eventually(
      async () => {
        const s = await site.status();
        if (!s.latest?.cachedImages.some((image) => image.reference.includes("/edge/big:1.0@")))
          throw new Error(`cached: ${JSON.stringify(s.latest?.cachedImages)}`);
      },
      30_000,
      "heartbeat listing the image",
    );
  }, 300_000);
});
