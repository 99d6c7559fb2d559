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

  it("belong to the repository that opened them", async () => {
    const sessions = new UploadSessions(1000);
    const s = sessions.open("a", await store.createBlobWriter());
    expect(sessions.get("a", s.id)).toBe(s);
    expect(sessions.get("b", s.id)).toBeUndefined();
    await sessions.close();
  });

  it("abort idle sessions and their temp files, but never one in use", async () => {
    const sessions = new UploadSessions(1000);
    const idle = sessions.open("a", await store.createBlobWriter());
    await idle.writer.write(Buffer.from("abandoned"));
    const busy = sessions.open("a", await store.createBlobWriter());
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
});

describe("upload session limit", () => {
  it("has room until the limit, and again after a session ends", async () => {
    const { store, cleanup } = await openTempStore();
    const sessions = new UploadSessions(60_000, 2);
    const a = sessions.open("r", await store.createBlobWriter());
    sessions.open("r", await store.createBlobWriter());
    expect(sessions.hasRoom()).toBe(false);
    await sessions.cancel(a.id);
    expect(sessions.hasRoom()).toBe(true);
    await sessions.close();
    await cleanup();
  });
});
