import { describe, expect, it } from "vitest";
import { evictionOrder, planEviction, quotaTooSmallMessage, type ImageFootprint } from "./quota.js";

const image = (
  name: string,
  files: Record<string, number>,
  extra: Partial<Omit<ImageFootprint, "name" | "files">> = {},
): ImageFootprint => ({ name, files: new Map(Object.entries(files)), desired: false, evictable: true, ...extra });

describe("store quota: eviction order", () => {
  it("takes never-pulled retained images first, then the least recently pulled; wanted and hand-pushed ones never", () => {
    const images = [
      image("app:wanted", { w: 10 }, { desired: true, lastPulledAt: 1 }),
      image("app:pushed-by-hand", { p: 10 }, { evictable: false }),
      image("app:pulled-late", { a: 10 }, { lastPulledAt: 300 }),
      image("app:pulled-early", { b: 10 }, { lastPulledAt: 100 }),
      image("app:never-b", { c: 10 }),
      image("app:never-a", { d: 10 }),
    ];
    expect(evictionOrder(images).map((i) => i.name)).toEqual([
      "app:never-a",
      "app:never-b",
      "app:pulled-early",
      "app:pulled-late",
    ]);
  });

  it("a pull moves an image behind the others", () => {
    const before = [image("a:1", { a: 1 }), image("b:1", { b: 1 })];
    expect(evictionOrder(before)[0].name).toBe("a:1");
    const after = [image("a:1", { a: 1 }, { lastPulledAt: 5 }), image("b:1", { b: 1 })];
    expect(evictionOrder(after)[0].name).toBe("b:1");
  });
});

describe("store quota: plan", () => {
  it("evicts nothing while the store fits", () => {
    const plan = planEviction([image("a:1", { x: 40 }), image("b:1", { y: 60 }, { desired: true })], 100);
    expect(plan).toEqual({ evict: [], usedBytes: 100, afterBytes: 100, desiredBytes: 60, quotaBytes: 100 });
  });

  it("evicts in order until the store fits, counting shared files once and freeing only unshared ones", () => {
    const images = [
      image("new:1", { base: 50, n: 30 }, { desired: true }),
      image("old:1", { base: 50, o: 40 }, { lastPulledAt: 10 }),
      image("older:1", { base: 50, q: 20 }),
      image("recent:1", { r: 25 }, { lastPulledAt: 99 }),
    ];
    // 50 + 30 + 40 + 20 + 25 = 165; the quota takes 120.
    const plan = planEviction(images, 120);
    expect(plan.usedBytes).toBe(165);
    // older:1 frees 20 (base is shared), then old:1 frees 40: 105 fits, recent:1 stays.
    expect(plan.evict).toEqual(["older:1", "old:1"]);
    expect(plan.afterBytes).toBe(105);
    expect(plan.desiredBytes).toBe(80);
    expect(plan.tooSmall).toBeUndefined();
  });

  it("reports a quota smaller than the wanted images and evicts only what no group wants", () => {
    const images = [
      image("want:1", { a: 700 }, { desired: true }),
      image("want:2", { a: 700, b: 500 }, { desired: true }),
      image("old:1", { c: 100 }),
    ];
    const plan = planEviction(images, 1000);
    expect(plan.evict).toEqual(["old:1"]);
    expect(plan.afterBytes).toBe(1200);
    expect(plan.desiredBytes).toBe(1200);
    expect(plan.tooSmall).toBe(quotaTooSmallMessage(1200, 1000));
    expect(plan.tooSmall).toBe("quota too small for the desired set (needs 1.2 KiB, quota 1000 B; 1200 > 1000 bytes)");
  });

  it("leaves the store over quota when only hand-pushed images remain, without calling the quota too small", () => {
    const plan = planEviction(
      [image("pushed:1", { p: 500 }, { evictable: false }), image("want:1", { w: 100 }, { desired: true })],
      300,
    );
    expect(plan.evict).toEqual([]);
    expect(plan.afterBytes).toBe(600);
    expect(plan.tooSmall).toBeUndefined();
  });

  it("before a fetch, makes room for the bytes the pass will add, in the same order", () => {
    const images = [
      image("want:1", { w: 100 }, { desired: true }),
      image("old:1", { o: 100 }, { lastPulledAt: 10 }),
      image("never:1", { n: 100 }),
    ];
    // 300 stored; the pass brings 150 more into a quota of 400: one retained image goes first.
    const plan = planEviction(images, 400, 150);
    expect(plan.evict).toEqual(["never:1"]);
    expect(plan.afterBytes + 150).toBeLessThanOrEqual(400);
    expect(plan.tooSmall).toBeUndefined();
    // 250 more: both retained images go.
    expect(planEviction(images, 400, 250).evict).toEqual(["never:1", "old:1"]);
  });

  it("before a fetch, counts the incoming bytes as wanted: the quota is too small when they cannot fit", () => {
    const images = [image("want:1", { w: 100 }, { desired: true }), image("old:1", { o: 100 })];
    const plan = planEviction(images, 300, 250);
    expect(plan.tooSmall).toBe(quotaTooSmallMessage(350, 300));
    expect(plan.tooSmall).toMatch(
      /^quota too small for the desired set \(needs 350 B, quota 300 B; 350 > 300 bytes\)$/,
    );
    expect(planEviction(images, 350, 250).tooSmall).toBeUndefined();
  });
});
