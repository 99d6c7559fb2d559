import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FsContentStore } from "../store/fs-content-store.js";
import { openTempStore } from "../store/test-helpers.js";
import { UploadSessions } from "./upload-sessions.js";

describe("upload sessions", () => {
  let store: FsContentStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, dir, cleanup } = await openTempStore()));
  afterEach(() => cleanup());

  const open = async (sessions: UploadSessions, repository = "a", source = "127.0.0.1") =>
    sessions.open(sessions.reserve(source), repository, await store.createBlobWriter());

  it("belong to the repository that opened them", async () => {
    const sessions = new UploadSessions({ idleMs: 1000 });
    const s = await open(sessions);
    expect(sessions.get("a", s.id)).toBe(s);
    expect(sessions.get("b", s.id)).toBeUndefined();
    await sessions.close();
  });

  it("abort idle sessions and their temp files, but never one in use", async () => {
    const sessions = new UploadSessions({ idleMs: 1000 });
    const idle = await open(sessions);
    await idle.writer.write(Buffer.from("abandoned"));
    const busy = await open(sessions);
    busy.active = 1;
    expect(await readdir(join(dir, "ingest"))).toHaveLength(2);
    expect(await sessions.expire(Date.now() + 5000)).toBe(1);
    expect(sessions.get("a", idle.id)).toBeUndefined();
    expect(sessions.get("a", busy.id)).toBe(busy);
    expect(await readdir(join(dir, "ingest"))).toHaveLength(1);
    busy.active = 0;
    await sessions.close();
    expect(await readdir(join(dir, "ingest"))).toHaveLength(0);
  });

  it("drop a session that never received a byte long before one under way", async () => {
    const sessions = new UploadSessions({ idleMs: 60_000, emptyIdleMs: 1000 });
    const empty = await open(sessions);
    const started = await open(sessions);
    await started.writer.write(Buffer.from("some bytes"));
    expect(await sessions.expire(Date.now() + 2000)).toBe(1);
    expect(sessions.get("a", empty.id)).toBeUndefined();
    expect(sessions.get("a", started.id)).toBe(started);
    expect(sessions.heldBy("127.0.0.1")).toBe(1);
    await sessions.close();
  });
});

describe("upload session caps", () => {
  it("reserve a slot at once, in all and per source, and free it when a session ends or a slot is given back", async () => {
    const { store, cleanup } = await openTempStore();
    const sessions = new UploadSessions({ maxSessions: 3, maxSessionsPerSource: 2 });
    const a = sessions.open(sessions.reserve("10.0.0.1"), "r", await store.createBlobWriter());
    // A reserved slot counts before its writer exists: this is what keeps concurrent POSTs under the cap.
    const pending = sessions.reserve("10.0.0.1");
    expect(() => sessions.reserve("10.0.0.1")).toThrow(/from this address/);
    const other = sessions.reserve("10.0.0.2");
    expect(() => sessions.reserve("10.0.0.3")).toThrow(/too many uploads in progress/);
    expect([sessions.size, sessions.peak, sessions.heldBy("10.0.0.1")]).toEqual([1, 3, 2]);
    sessions.release(pending);
    sessions.release(pending);
    expect(sessions.heldBy("10.0.0.1")).toBe(1);
    sessions.open(other, "r", await store.createBlobWriter());
    await sessions.cancel(a.id);
    expect(sessions.heldBy("10.0.0.1")).toBe(0);
    sessions.forget("no-such-id");
    expect(() => sessions.reserve("10.0.0.3")).not.toThrow();
    expect(sessions.peak).toBe(3);
    await sessions.close();
    await cleanup();
  });
});
