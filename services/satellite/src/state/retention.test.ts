import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaType } from "@harbor-satellite/oci";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OwnedImage } from "../replication/desired-image.js";
import type { FsContentStore } from "../store/fs-content-store.js";
import { openPullLog } from "../store/pull-log.js";
import { imageManifest, openTempStore, writeBlob } from "../store/test-helpers.js";
import { createRetention, splitOwned } from "./retention.js";

const silent = pino({ level: "silent" });
const own = (repository: string, tag: string, digest: string): OwnedImage => ({
  repository,
  tag,
  digest,
  sourceDigest: digest,
});

describe("retention under the store quota", () => {
  let store: FsContentStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  /** An image of about `kib` KiB (one layer of its own), tagged repository:tag. */
  const put = async (repository: string, tag: string, kib: number) => {
    const config = await writeBlob(store, JSON.stringify({ repository, tag }));
    const layer = await writeBlob(store, Buffer.alloc(kib << 10, `${repository}:${tag}`));
    const digest = await store.putManifest(repository, imageManifest(config, [layer]), MediaType.OciManifest, tag);
    return own(repository, tag, digest);
  };
  const tags = async (repository: string) => store.listTags(repository);

  it("keeps retained images while they fit, then evicts the least recently pulled first; wanted ones never", async () => {
    const wanted = await put("app", "wanted", 100);
    const pulledEarly = await put("app", "early", 100);
    const pulledLate = await put("app", "late", 100);
    const neverPulled = await put("app", "never", 100);
    let clock = 1_000;
    const dir = await mkdtemp(join(tmpdir(), "hs-pulls-"));
    const pulls = await openPullLog({ path: join(dir, "pulls.json"), logger: silent, now: () => clock });
    pulls.note("app", pulledEarly.digest);
    clock = 2_000;
    pulls.note("app", pulledLate.digest);
    let quota = 450 << 10;
    const measured: number[] = [];
    const retention = createRetention({
      store,
      quotaBytes: () => quota,
      pulls,
      logger: silent,
      onMeasured: (used) => measured.push(used),
    });
    const want = new Set(["app:wanted"]);
    const retained = [pulledEarly, pulledLate, neverPulled];

    // 4 × 100 KiB (plus manifests and configs) fits 450 KiB: nothing goes.
    let result = await retention.apply(want, retained);
    expect(result).toEqual({ retained, evicted: [] });

    // 300 KiB: two must go, the never-pulled one first, then the one pulled earliest.
    quota = 300 << 10;
    result = await retention.apply(want, retained);
    expect(result.evicted).toEqual(["app:never", "app:early"]);
    expect(result.retained).toEqual([pulledLate]);
    expect(await tags("app")).toEqual(["late", "wanted"]);
    expect(measured.at(-1)).toBeLessThanOrEqual(quota);
    const gc = await store.collectGarbage({ graceMs: 0 });
    expect(gc.freedBytes).toBeGreaterThan(200 << 10);

    // Smaller than the wanted image alone: the rest goes, the wanted one stays, and it is said.
    quota = 50 << 10;
    result = await retention.apply(want, result.retained);
    expect(result.evicted).toEqual(["app:late"]);
    expect(result.tooSmall).toMatch(
      /^quota too small for the desired set \(needs 100\.\d KiB, quota 50 KiB; \d+ > 51200 bytes\)$/,
    );
    expect(await tags("app")).toEqual(["wanted"]);
    expect((await store.getManifest("app", "wanted"))?.digest).toBe(wanted.digest);
    await pulls.close();
    expect(JSON.parse(await readFile(join(dir, "pulls.json"), "utf8"))).toEqual({
      version: 1,
      pulls: { [`app@${pulledEarly.digest}`]: 1_000, [`app@${pulledLate.digest}`]: 2_000 },
    });
    await rm(dir, { recursive: true, force: true });
  });

  it("never evicts a tag someone moved since it was retained, nor one pushed by hand", async () => {
    const moved = await put("app", "moved", 100);
    await put("app", "moved", 120); // pushed over by a client
    await put("app", "by-hand", 100);
    const retention = createRetention({ store, quotaBytes: () => 10 << 10, logger: silent });
    const result = await retention.apply(new Set(), [moved]);
    expect(result).toEqual({ retained: [], evicted: [] });
    expect(await tags("app")).toEqual(["by-hand", "moved"]);
  });

  it("without a quota, untags every retained image (as a pass does without one)", async () => {
    const old = await put("app", "old", 10);
    const retention = createRetention({ store, quotaBytes: () => undefined, logger: silent });
    expect(retention.keeps()).toBe(false);
    expect(await retention.apply(new Set(), [old])).toEqual({ retained: [], evicted: ["app:old"] });
    expect(await tags("app")).toEqual([]);
  });
});

describe("splitOwned", () => {
  const a = own("app", "a", "sha256:" + "a".repeat(64));
  const b = own("app", "b", "sha256:" + "b".repeat(64));
  const c = own("app", "c", "sha256:" + "c".repeat(64));

  it("with a quota, keeps dropped images back from the engine and hands a retained image wanted again to it", () => {
    expect(splitOwned([a, b], [c], new Set(["app:a", "app:c"]), true)).toEqual({ engineOwned: [c, a], retain: [b] });
  });

  it("without one, hands everything to the engine, which untags what is not wanted", () => {
    expect(splitOwned([a], [c], new Set(["app:a"]), false)).toEqual({ engineOwned: [c, a], retain: [] });
  });
});
