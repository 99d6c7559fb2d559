import { describe, expect, it } from "vitest";
import { batchedHashRecheck, type HashLookup } from "./hash-recheck.js";

/** A lookup over `stored` that records each read's names and can be held open. */
function recordingLookup(stored: Record<string, string[]>) {
  const reads: string[][] = [];
  let hold: Promise<void> = Promise.resolve();
  let release = () => {};
  const lookup: HashLookup = async (names) => {
    reads.push([...names]);
    await hold;
    return new Map(names.filter((n) => n in stored).map((n) => [n, stored[n]]));
  };
  return {
    lookup,
    reads,
    holdNext() {
      hold = new Promise((r) => (release = r));
    },
    release: () => release(),
  };
}

describe("batchedHashRecheck", () => {
  it("answers the re-checks asked together from one read, each with its own robot's hashes", async () => {
    const db = recordingLookup({ robot$a: ["ha"], robot$b: ["hb", "hb-old"] });
    const recheck = batchedHashRecheck(db.lookup);
    const answers = await Promise.all([
      recheck("robot$a"),
      recheck("robot$b"),
      recheck("robot$a"),
      recheck("robot$gone"),
    ]);
    expect(answers).toEqual([["ha"], ["hb", "hb-old"], ["ha"], []]);
    expect(db.reads).toEqual([["robot$a", "robot$b", "robot$gone"]]);
  });

  it("gathers the names asked while a read runs into the next read, which follows it at once", async () => {
    const db = recordingLookup({ robot$a: ["ha"], robot$b: ["hb"], robot$c: ["hc"] });
    const recheck = batchedHashRecheck(db.lookup);
    db.holdNext();
    const first = recheck("robot$a");
    await new Promise((r) => setImmediate(r));
    expect(db.reads).toEqual([["robot$a"]]);
    const later = Promise.all([recheck("robot$b"), recheck("robot$c")]);
    await new Promise((r) => setImmediate(r));
    expect(db.reads).toHaveLength(1); // the second read waits for the first
    db.release();
    expect(await first).toEqual(["ha"]);
    expect(await later).toEqual([["hb"], ["hc"]]);
    expect(db.reads).toEqual([["robot$a"], ["robot$b", "robot$c"]]);
  });

  it("reads at most `batch` names at a time", async () => {
    const db = recordingLookup({});
    const recheck = batchedHashRecheck(db.lookup, 2);
    await Promise.all(["a", "b", "c", "d", "e"].map((n) => recheck(`robot$${n}`)));
    expect(db.reads.map((r) => r.length)).toEqual([2, 2, 1]);
  });

  it("fails the re-checks of a read that failed, and reads again for the next ones", async () => {
    let fail = true;
    const recheck = batchedHashRecheck(async (names) => {
      if (fail) throw new Error("database down");
      return new Map(names.map((n) => [n, ["h"]]));
    });
    await expect(Promise.all([recheck("robot$a"), recheck("robot$b")])).rejects.toThrow("database down");
    fail = false;
    expect(await recheck("robot$a")).toEqual(["h"]);
  });
});
