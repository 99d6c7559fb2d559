import { describe, expect, it } from "vitest";
import { parseJsonObject } from "@harbor-satellite/rpc";
import { requireSatelliteConfig } from "./config-schema.js";
import { defaultConfig } from "./default-config.js";

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
};

// The verdicts themselves are the contract's (config-contract.test.ts runs them on both sides);
// here: what Ground Control does with one.
describe("requireSatelliteConfig", () => {
  it("returns the document as sent, without the satellite's defaults", () => {
    const config = defaultConfig();
    expect(requireSatelliteConfig("config_json", config)).toBe(config);
    expect(config).toEqual(defaultConfig());
    const sparse = { app_config: { log_level: "debug" } };
    expect(requireSatelliteConfig("config_json", sparse)).toEqual({ app_config: { log_level: "debug" } });
  });

  it("names the field, then every problem with its path", () => {
    expect(errorOf(() => requireSatelliteConfig("config_json", { app_config: { heartbeat_interval: "30s" } }))).toBe(
      'config_json: app_config.heartbeat_interval: invalid schedule "30s": cron expressions have exactly 5 fields (use "@every 00h00m10s", "@every 1m30s" or a 5-field cron expression such as "*/5 * * * *")',
    );
    expect(
      errorOf(() =>
        requireSatelliteConfig("config_json", { app_config: { tls: { skip_verify: "yes" }, log_level: "warning" } }),
      ),
    ).toBe(
      'config_json: app_config.log_level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "panic", "silent", got "warning"; app_config.tls.skip_verify: expected true or false, got "yes"',
    );
    expect(errorOf(() => requireSatelliteConfig("merge_patch_json (applied)", { zot_config: {}, extra: 1 }))).toBe(
      "merge_patch_json (applied): extra: unknown key (the config takes state_config, app_config, zot_config)",
    );
  });

  it("parses only JSON objects, saying why not", () => {
    expect(errorOf(() => parseJsonObject("config_json", "{oops"))).toMatch(/^config_json is not valid JSON: /);
    expect(errorOf(() => parseJsonObject("config_json", "[]"))).toBe("config_json must be a JSON object");
    expect(errorOf(() => parseJsonObject("config_json", " "))).toBe("config_json is required");
  });
});
