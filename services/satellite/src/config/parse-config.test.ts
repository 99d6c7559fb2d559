import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "./config-error.js";
import { parseSatelliteConfig, parseSatelliteConfigJson } from "./parse-config.js";
import { defaultConfig, isRegistered } from "./satellite-config.js";

function issuesOf(raw: unknown): string[] {
  try {
    parseSatelliteConfig(raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
}

describe("parseSatelliteConfig", () => {
  it("fills every default for an empty object", () => {
    const config = parseSatelliteConfig({});
    expect(config).toEqual(defaultConfig());
    expect(config.app_config.state_replication_interval).toBe("@every 00h00m10s");
    expect(config.app_config.heartbeat_interval).toBe("@every 00h00m30s");
    expect(config.app_config.encrypt_config).toBe(true);
    expect(isRegistered(config)).toBe(false);
  });

  it("reads the original's config.json shape", () => {
    const config = parseSatelliteConfig({
      state_config: {
        auth: { url: "https://harbor.example.com", username: "robot$sat-1", password: "s3cret" },
        state: "harbor.example.com/satellite/satellite-state/sat-1/state:latest",
      },
      app_config: {
        ground_control_url: "https://gc.example.com/",
        log_level: "warn",
        state_replication_interval: "@every 00h01m00s",
        heartbeat_interval: "*/2 * * * *",
        local_registry: { url: "http://0.0.0.0:8585", username: "", password: "" },
        spiffe: {
          enabled: true,
          endpoint_socket: "unix:///run/spire/agent.sock",
          expected_server_id: "spiffe://harbor-satellite.local/gc/main",
        },
        registry_fallback: { enabled: true, runtimes: ["containerd", "podman"] },
        encrypt_config: false,
        audit: { enabled: false },
      },
      zot_config: { distSpecVersion: "1.1.0" },
    });
    expect(isRegistered(config)).toBe(true);
    expect(config.app_config.ground_control_url).toBe("https://gc.example.com");
    expect(config.app_config.log_level).toBe("warn");
    expect(config.app_config.heartbeat_interval).toBe("*/2 * * * *");
    expect(config.app_config.registry_fallback.registries).toEqual(["docker.io"]);
    expect(config.app_config.encrypt_config).toBe(false);
    expect(config.app_config.audit).toEqual({ enabled: false });
    expect(config.zot_config).toEqual({ distSpecVersion: "1.1.0" });
  });

  it("refuses what Ground Control refuses: unknown keys and levels outside the contract", () => {
    expect(issuesOf({ app_config: { unknown_key: 1 } })).toEqual(["app_config.unknown_key"]);
    expect(issuesOf({ app_config: { log_level: "WARNING" } })).toEqual(["app_config.log_level"]);
    expect(issuesOf({ app_config: { log_level: "warning" } })).toEqual(["app_config.log_level"]);
    // zerolog's panic is valid and kept as written; the agent runs pino at fatal for it.
    expect(parseSatelliteConfig({ app_config: { log_level: "panic" } }).app_config.log_level).toBe("panic");
    // Older Go versions wrote a nil zot_config as null: read as absent.
    expect(parseSatelliteConfig({ app_config: {}, zot_config: null }).zot_config).toBeUndefined();
  });

  it("reports every problem with its path at once", () => {
    const raw = {
      state_config: { auth: { url: 42 } },
      app_config: {
        log_level: "loud",
        heartbeat_interval: "@every soon",
        use_unsecure: "yes",
        local_registry: { url: "ftp://x" },
        tls: { cert_file: "/c.pem" },
        spiffe: { endpoint_socket: "/run/agent.sock" },
        registry_fallback: { runtimes: ["rkt"] },
      },
    };
    expect(issuesOf(raw).sort()).toEqual(
      [
        "state_config.auth.url",
        "app_config.log_level",
        "app_config.heartbeat_interval",
        "app_config.use_unsecure",
        "app_config.local_registry.url",
        "app_config.tls.key_file",
        "app_config.spiffe.endpoint_socket",
        "app_config.registry_fallback.runtimes[0]",
      ].sort(),
    );
    expect(() => parseSatelliteConfig(raw, "/etc/satellite/config.json")).toThrow(
      /\/etc\/satellite\/config.json is invalid: .*app_config.heartbeat_interval: invalid schedule "@every soon"/,
    );
  });

  it("rejects non-objects and bad JSON", () => {
    expect(issuesOf([])).toEqual(["(root)"]);
    expect(issuesOf({ app_config: [] })).toEqual(["app_config"]);
    expect(() => parseSatelliteConfigJson("{ nope")).toThrow(ConfigValidationError);
  });

  it("accepts registry addresses with or without scheme", () => {
    for (const url of ["harbor.example.com", "harbor.example.com:8443", "http://10.0.0.1:5000", "https://h/sub"]) {
      expect(issuesOf({ state_config: { auth: { url } } }), url).toEqual([]);
    }
    expect(issuesOf({ state_config: { auth: { url: "https://user:pw@h" } } })).toEqual(["state_config.auth.url"]);
  });

  it("never throws anything but ConfigValidationError on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 3 }), fc.object({ maxDepth: 2 }), (app, state) => {
        try {
          const config = parseSatelliteConfig({ app_config: app, state_config: state });
          expect(typeof config.app_config.heartbeat_interval).toBe("string");
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigValidationError);
        }
      }),
    );
  });
});
