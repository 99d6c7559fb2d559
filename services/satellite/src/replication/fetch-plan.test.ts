import type { Descriptor } from "@harbor-satellite/oci";
import { describe, expect, it } from "vitest";
import { createFetchBarrier, FetchRefusedError, type FetchPlan } from "./fetch-plan.js";

const blob = (name: string, size: number): Descriptor => ({
  mediaType: "application/vnd.oci.image.layer.v1.tar",
  digest: `sha256:${name.repeat(64).slice(0, 64)}`,
  size,
});
const a = blob("a", 100);
const b = blob("b", 200);
const c = blob("c", 400);
const stored = new Set([c.digest]);
const isStored = async (digest: string) => stored.has(digest);

describe("fetch plan barrier", () => {
  it("checks once, after every image arrived or left, with the missing bytes each digest once", async () => {
    const plans: FetchPlan[] = [];
    const barrier = createFetchBarrier([0, 1, 2], isStored, async (plan) => void plans.push(plan));
    let released = 0;
    const first = barrier.arrive(0, [a, b]).then(() => released++);
    const second = barrier.arrive(1, [b, c]).then(() => released++);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Image 2 is still resolving: nobody fetches yet.
    expect(released).toBe(0);
    expect(plans).toEqual([]);
    barrier.leave(2); // up to date, or failed: it needs nothing
    await Promise.all([first, second]);
    expect(plans).toEqual([{ bytes: 300, blobs: 2 }]);
    // Leaving after arriving changes nothing.
    barrier.leave(0);
    expect(plans).toHaveLength(1);
  });

  it("refused: images needing bytes fail with the reason, images needing none go on", async () => {
    const barrier = createFetchBarrier([0, 1], isStored, async () => "quota too small");
    const needs = barrier.arrive(0, [a, c]);
    const none = barrier.arrive(1, [c]);
    await expect(needs).rejects.toThrow(FetchRefusedError);
    await expect(needs).rejects.toThrow("quota too small");
    await expect(none).resolves.toBeUndefined();
  });

  it("does not ask when nothing is missing, and a failing check fails the waiting images", async () => {
    let asked = 0;
    const idle = createFetchBarrier([0], isStored, async () => (asked++, undefined));
    await idle.arrive(0, [c]);
    expect(asked).toBe(0);
    const broken = createFetchBarrier([0], isStored, async () => {
      throw new Error("store unreadable");
    });
    await expect(broken.arrive(0, [a])).rejects.toThrow("store unreadable");
  });
});
