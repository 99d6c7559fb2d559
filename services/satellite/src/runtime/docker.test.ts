import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configureDocker } from "./docker.js";
import { RuntimeConfigError } from "./runtime-result.js";

let dir: string;
let path: string;
const now = new Date("2024-05-06T07:08:09Z");

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-docker-"));
  path = join(dir, "daemon.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("docker mirrors", () => {
  it("adds the mirror (and marks it insecure when plain HTTP), keeping other settings", async () => {
    await writeFile(
      path,
      JSON.stringify({ "log-driver": "journald", "registry-mirrors": ["https://mirror.gcr.io"], "live-restore": true }),
    );
    const result = await configureDocker({ mirror: "0.0.0.0:8585", daemonJsonPath: path, now });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      "log-driver": "journald",
      "live-restore": true,
      "registry-mirrors": ["https://mirror.gcr.io", "http://127.0.0.1:8585"],
      "insecure-registries": ["127.0.0.1:8585"],
    });
    expect(result.files[0].backup).toBe(`${path}.bak.20240506T070809`);
    expect(result.notes.join()).toMatch(/reload/);
  });

  it("creates daemon.json when missing and is idempotent", async () => {
    await configureDocker({ mirror: "https://sat.example:8443", daemonJsonPath: path, now });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ "registry-mirrors": ["https://sat.example:8443"] });
    const again = await configureDocker({ mirror: "https://sat.example:8443", daemonJsonPath: path, now });
    expect(again.files[0].changed).toBe(false);
    expect(await readdir(dir)).toEqual(["daemon.json"]);
  });

  it("refuses a daemon.json it cannot parse, leaving it untouched", async () => {
    await writeFile(path, "{ broken");
    await expect(configureDocker({ mirror: "127.0.0.1:8585", daemonJsonPath: path, now })).rejects.toThrow(
      RuntimeConfigError,
    );
    expect(await readFile(path, "utf8")).toBe("{ broken");
  });
});
