import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MediaType } from "@harbor-satellite/oci";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startRegistryServer } from "../registry/server.js";
import type { FsContentStore } from "./fs-content-store.js";
import { openPullLog, PULL_LOG_FILE } from "./pull-log.js";
import { openTempStore, storedImage } from "./test-helpers.js";

const silent = pino({ level: "silent" });
const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

describe("pull log", () => {
  let dir: string;
  let store: FsContentStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, dir, cleanup } = await openTempStore()));
  afterEach(() => cleanup());
  const path = () => join(dir, PULL_LOG_FILE);

  it("writes pulls in batches, not per pull, and reads them back after a restart", async () => {
    let clock = 100;
    const log = await openPullLog({ path: path(), logger: silent, now: () => clock, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 50; i++) log.note("app", A);
    clock = 200;
    log.note("app", B);
    // Nothing on disk until a flush: no write (nor fsync) per pull.
    await expect(readFile(path())).rejects.toMatchObject({ code: "ENOENT" });
    await log.close();
    expect(JSON.parse(await readFile(path(), "utf8"))).toEqual({
      version: 1,
      pulls: { [`app@${A}`]: 100, [`app@${B}`]: 200 },
    });
    const again = await openPullLog({ path: path(), logger: silent });
    expect(again.lastPulled("app", [A, B])).toBe(200);
    expect(again.lastPulled("app", [A])).toBe(100);
    expect(again.lastPulled("other", [A])).toBeUndefined();
    await again.close();
  });

  it("keeps the newest entries when over its bound, and starts afresh from an unreadable file", async () => {
    let clock = 0;
    const log = await openPullLog({ path: path(), logger: silent, now: () => ++clock, maxEntries: 2 });
    log.note("r", A);
    log.note("s", A);
    log.note("r", A); // pulled again: now the newest
    log.note("t", A);
    expect([log.lastPulled("r", [A]), log.lastPulled("s", [A]), log.lastPulled("t", [A])]).toEqual([3, undefined, 4]);
    await log.close();
    await writeFile(path(), "{not json");
    const fresh = await openPullLog({ path: path(), logger: silent });
    expect(fresh.lastPulled("r", [A])).toBeUndefined();
    await fresh.close();
  });

  it("the registry reports manifest GETs by tag and by digest, not HEADs", async () => {
    const image = await storedImage(store, "pulled");
    await store.putManifest("team/app", image.manifest, MediaType.OciManifest, "v1");
    const pulled: string[] = [];
    const server = await startRegistryServer({
      store,
      host: "127.0.0.1",
      port: 0,
      readOnly: true,
      onManifestPulled: (repository, digest) => pulled.push(`${repository}@${digest}`),
    });
    try {
      const url = `${server.url}/v2/team/app/manifests`;
      expect((await fetch(`${url}/v1`, { method: "HEAD" })).status).toBe(200);
      expect(pulled).toEqual([]);
      for (const ref of ["v1", image.digest]) await (await fetch(`${url}/${ref}`)).arrayBuffer();
      expect((await fetch(`${url}/missing`)).status).toBe(404);
      expect(pulled).toEqual([`team/app@${image.digest}`, `team/app@${image.digest}`]);
    } finally {
      await server.close();
    }
  });
});
