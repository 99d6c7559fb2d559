import { describe, expect, it } from "vitest";
import { RwLock } from "./rw-lock.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("RwLock", () => {
  it("lets shared holders overlap and keeps the exclusive holder alone", async () => {
    const lock = new RwLock();
    const events: string[] = [];
    let releaseA!: () => void;
    const a = lock.withShared(
      () => new Promise<void>((r) => (events.push("a+"), (releaseA = () => (events.push("a-"), r())))),
    );
    const b = lock.withShared(async () => void events.push("b"));
    await tick();
    const x = lock.withExclusive(async () => void events.push("x"));
    const c = lock.withShared(async () => void events.push("c")); // queued behind the waiting writer
    await tick();
    expect(events).toEqual(["a+", "b"]);
    releaseA();
    await Promise.all([a, b, x, c]);
    expect(events).toEqual(["a+", "b", "a-", "x", "c"]);
  });

  it("releases on failure", async () => {
    const lock = new RwLock();
    await expect(lock.withExclusive(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.withShared(async () => 1)).resolves.toBe(1);
  });
});
