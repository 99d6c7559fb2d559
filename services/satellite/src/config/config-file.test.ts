import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FingerprintMismatchError, SealedConfigTamperedError } from "../fingerprint/sealed-box.js";
import { ConfigValidationError } from "./config-error.js";
import { loadConfigFile, saveConfigFile, type ConfigFileOptions } from "./config-file.js";
import { parseSatelliteConfig } from "./parse-config.js";

let dir: string;
let path: string;
const options = (fp: string): ConfigFileOptions => ({
  fingerprint: async () => fp,
  sealed: { scrypt: { N: 1 << 10, r: 8, p: 1 } },
});
const config = parseSatelliteConfig({
  state_config: {
    auth: { url: "https://h", username: "robot$s", password: "hunter2-secret" },
    state: "h/satellite/satellite-state/s/state:latest",
  },
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-cfg-"));
  path = join(dir, "config.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("config file", () => {
  it("is missing before the first ZTR", async () => {
    expect(await loadConfigFile(path, options("fp"))).toEqual({ status: "missing" });
  });

  it("seals by default: mode 0600, no secret in the bytes, loads back on the same device", async () => {
    await saveConfigFile(path, config, options("fp"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const bytes = await readFile(path, "utf8");
    expect(bytes).not.toContain("hunter2-secret");
    expect(bytes).not.toContain("robot$s");
    expect(await loadConfigFile(path, options("fp"))).toEqual({ status: "loaded", config, sealed: true });
  });

  it("tells the agent to discard a config from another device or a tampered one", async () => {
    await saveConfigFile(path, config, options("fp"));
    const other = await loadConfigFile(path, options("other-device"));
    expect(other.status === "discard" && other.reason).toBeInstanceOf(FingerprintMismatchError);
    const envelope = JSON.parse(await readFile(path, "utf8"));
    const data = Buffer.from(envelope.data, "base64");
    data[20] ^= 0xff;
    await writeFile(path, JSON.stringify({ ...envelope, data: data.toString("base64") }));
    const tampered = await loadConfigFile(path, options("fp"));
    expect(tampered.status === "discard" && tampered.reason).toBeInstanceOf(SealedConfigTamperedError);
  });

  it("writes plain JSON (still 0600) when encryption is off, and reads unsealed files", async () => {
    const plain = { ...config, app_config: { ...config.app_config, encrypt_config: false } };
    await saveConfigFile(path, plain, options("fp"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8")).app_config.encrypt_config).toBe(false);
    expect(await loadConfigFile(path, { fingerprint: () => Promise.reject(new Error("not needed")) })).toEqual({
      status: "loaded",
      config: plain,
      sealed: false,
    });
  });

  it("discards a garbled or invalid file with the reason", async () => {
    await writeFile(path, "{ half");
    const garbled = await loadConfigFile(path, options("fp"));
    expect(garbled.status === "discard" && garbled.reason).toBeInstanceOf(ConfigValidationError);
    await writeFile(path, JSON.stringify({ app_config: { heartbeat_interval: "never" } }));
    const invalid = await loadConfigFile(path, options("fp"));
    expect(invalid.status === "discard" && invalid.reason.message).toMatch(/app_config.heartbeat_interval/);
  });
});
