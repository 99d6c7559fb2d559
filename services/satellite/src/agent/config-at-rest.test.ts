import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig, type SatelliteConfig } from "../config/satellite-config.js";
import { looksSealed } from "../fingerprint/sealed-box.js";
import { createConfigAtRest } from "./config-at-rest.js";

const SCRYPT = { N: 1024, r: 8, p: 1 };
const logger = pino({ level: "silent" });
let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "config-at-rest-"));
  path = join(dir, "config.json");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const enrolled = (): SatelliteConfig => {
  const c = defaultConfig();
  c.app_config.ground_control_url = "https://gc";
  c.state_config = {
    auth: { url: "https://harbor", username: "robot$edge", password: "s3cret-robot" },
    state: "harbor/satellite/satellite-state/edge/state:latest",
  };
  return c;
};
const atRest = (fingerprint: string) =>
  createConfigAtRest({ path, logger, scrypt: SCRYPT, fingerprint: async () => fingerprint });

describe("config.json at rest", () => {
  it("saves sealed and private, and loads back on the same device", async () => {
    await atRest("device-a").save(enrolled());
    const text = await readFile(path, "utf8");
    expect(looksSealed(JSON.parse(text))).toBe(true);
    expect(text).not.toContain("s3cret-robot");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const loaded = await atRest("device-a").load();
    expect(loaded).toMatchObject({
      status: "registered",
      config: { state_config: { auth: { password: "s3cret-robot" } } },
    });
  });

  it("discards a file sealed on another device, so the agent enrols again", async () => {
    await atRest("device-a").save(enrolled());
    const loaded = await atRest("device-b").load();
    expect(loaded.status).toBe("unregistered");
    expect(loaded.status === "unregistered" && loaded.discarded).toMatch(/FingerprintMismatch|another device/i);
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
    // Kept aside, byte for byte, for an operator who wants it back.
    expect(looksSealed(JSON.parse(await readFile(`${path}.rejected`, "utf8")))).toBe(true);
  });

  it("discards a tampered file", async () => {
    await atRest("device-a").save(enrolled());
    const envelope = JSON.parse(await readFile(path, "utf8")) as { data: string };
    const bytes = Buffer.from(envelope.data, "base64");
    bytes[bytes.length - 1] ^= 1;
    await writeFile(path, JSON.stringify({ ...envelope, data: bytes.toString("base64") }));
    expect((await atRest("device-a").load()).status).toBe("unregistered");
  });

  it("seals a plain config found on disk (e.g. the original satellite's) and uses it", async () => {
    await writeFile(path, JSON.stringify(enrolled()), { mode: 0o600 });
    expect((await atRest("device-a").load()).status).toBe("registered");
    expect(looksSealed(JSON.parse(await readFile(path, "utf8")))).toBe(true);
  });

  it("keeps a config without credentials as unregistered, and starts empty without a file", async () => {
    expect(await atRest("device-a").load()).toEqual({ status: "unregistered" });
    const c = defaultConfig();
    c.app_config.heartbeat_interval = "@every 1m";
    await atRest("device-a").save(c);
    const loaded = await atRest("device-a").load();
    expect(loaded).toMatchObject({
      status: "unregistered",
      config: { app_config: { heartbeat_interval: "@every 1m" } },
    });
  });

  it("computes the fingerprint once", async () => {
    let calls = 0;
    const store = createConfigAtRest({ path, logger, scrypt: SCRYPT, fingerprint: async () => `device-${++calls}` });
    await store.save(enrolled());
    await store.save(enrolled());
    expect(await store.fingerprint()).toBe("device-1");
    expect((await store.load()).status).toBe("registered");
    expect(calls).toBe(1);
  });
});
