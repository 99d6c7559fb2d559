import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configDir, readSession, removeSession, writeSession } from "./session.js";

describe("session storage", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "groundctl-session-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("lives in GROUNDCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/groundctl, else ~/.config/groundctl", () => {
    expect(configDir({ GROUNDCTL_CONFIG_DIR: "/x", XDG_CONFIG_HOME: "/y", HOME: "/h" })).toBe("/x");
    expect(configDir({ XDG_CONFIG_HOME: "/y", HOME: "/h" })).toBe("/y/groundctl");
    expect(configDir({ HOME: "/h" })).toBe("/h/.config/groundctl");
  });

  it("is written 0600 in a 0700 folder, replaced whole, read back and removed", async () => {
    const at = join(dir, "new", "groundctl");
    const path = await writeSession(at, { url: "http://gc:8080", username: "admin", token: "t1" });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(at)).mode & 0o777).toBe(0o700);
    await writeSession(at, { url: "http://gc:8080", username: "admin", token: "t2" });
    expect(await readSession(at)).toEqual({ url: "http://gc:8080", username: "admin", token: "t2" });
    expect(JSON.parse(await readFile(path, "utf8")).token).toBe("t2");
    expect(await removeSession(at)).toBe(true);
    expect(await removeSession(at)).toBe(false);
    expect(await readSession(at)).toBeUndefined();
  });

  it("tells the user to log in again when the file is damaged", async () => {
    await writeFile(join(dir, "session.json"), "{not json");
    await expect(readSession(dir)).rejects.toThrow(/is not JSON: run groundctl login again/);
    await writeFile(join(dir, "session.json"), "{}");
    await expect(readSession(dir)).rejects.toThrow(/has no URL or token/);
  });
});
