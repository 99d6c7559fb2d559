import { describe, expect, it } from "vitest";
import { parseJsonObject } from "@harbor-satellite/rpc";
import { requireSatelliteConfig } from "./config-schema.js";
import { defaultConfig } from "./default-config.js";
import { goDurationSeconds, isSchedule } from "./schedule.js";

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
};

describe("satellite config schema", () => {
  it("accepts the default config and a full app_config", () => {
    expect(requireSatelliteConfig("config_json", defaultConfig())).toBeTruthy();
    const full = {
      app_config: {
        ground_control_url: "https://gc.example.com",
        log_level: "debug",
        use_unsecure: false,
        state_replication_interval: "*/5 * * * *",
        register_satellite_interval: "@hourly",
        heartbeat_interval: "@every 1m30s",
        metrics: { collect_cpu: true, collect_memory: false, collect_storage: true },
        bring_own_registry: true,
        local_registry: { url: "http://127.0.0.1:5000", username: "u", password: "p" },
        tls: { cert_file: "/c", key_file: "/k", ca_file: "/ca", skip_verify: false },
        spiffe: { enabled: true, endpoint_socket: "unix:///run/spire/agent.sock", expected_server_id: "spiffe://td/gc" },
        encrypt_config: true,
        registry_fallback: { enabled: true, registries: ["docker.io"], runtimes: ["containerd"] },
        harbor_registry_url: "https://harbor.example.com",
        direct_delivery: { enabled: false, image_dir: "/var/lib/rancher/k3s/agent/images" },
        audit: { anything: ["goes"] },
      },
      zot_config: { anything: { goes: true } },
    };
    expect(requireSatelliteConfig("config_json", full)).toBe(full);
  });

  it("names the path and the rule of the first violation", () => {
    expect(errorOf(() => requireSatelliteConfig("config_json", { app_config: { heartbeat_interval: "30s" } }))).toBe(
      'config_json: app_config.heartbeat_interval "30s" is not a schedule: use "@every <duration>" (e.g. "@every 00h00m30s") or a five-field cron expression',
    );
    expect(errorOf(() => requireSatelliteConfig("config_json", { app_config: { heartbeat_intervall: "@every 30s" } }))).toBe(
      'config_json: app_config has unknown key "heartbeat_intervall"',
    );
    expect(errorOf(() => requireSatelliteConfig("config_json", { app_config: { tls: { skip_verify: "yes" } } }))).toBe(
      "config_json: app_config.tls.skip_verify must be boolean",
    );
    expect(errorOf(() => requireSatelliteConfig("config_json", { zot_config: {} }))).toBe('config_json: the config must have "app_config"');
    expect(errorOf(() => requireSatelliteConfig("config_json", { app_config: { log_level: "loud" } }))).toContain("app_config.log_level must be one of");
    expect(errorOf(() => requireSatelliteConfig("config_json", { app_config: { ground_control_url: "gc:8080" } }))).toContain("is not an http(s) URL");
  });

  it("parses only JSON objects, saying why not", () => {
    expect(errorOf(() => parseJsonObject("config_json", "{oops"))).toMatch(/^config_json is not valid JSON: /);
    expect(errorOf(() => parseJsonObject("config_json", "[]"))).toBe("config_json must be a JSON object");
    expect(errorOf(() => parseJsonObject("config_json", " "))).toBe("config_json is required");
  });
});

describe("schedules", () => {
  it.each(["@every 00h00m30s", "@every 1.5h", "@every 500ms", "@daily", "0 */2 * * *", "0 0 * * MON"])("accepts %s", (s) => expect(isSchedule(s)).toBe(true));
  it.each(["30s", "@every", "@every 0s", "@every 10", "@every -5s", "* * * *", "61 * * * *", "0 0 * * * *", "@often"])("rejects %s", (s) =>
    expect(isSchedule(s)).toBe(false),
  );
  it("reads Go durations", () => {
    expect(goDurationSeconds("00h00m30s")).toBe(30);
    expect(goDurationSeconds("1h1m1s")).toBe(3661);
    expect(goDurationSeconds("1x")).toBeUndefined();
  });
});
