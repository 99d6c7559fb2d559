import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "./config-error.js";
import { applyConfigState } from "./hot-reload.js";
import { parseSatelliteConfig } from "./parse-config.js";

const current = parseSatelliteConfig({
  state_config: {
    auth: { url: "https://harbor", username: "robot$s1", password: "pw-from-ztr" },
    state: "harbor/satellite/satellite-state/s1/state:latest",
  },
  app_config: { ground_control_url: "https://gc.cli", log_level: "info" },
});

describe("applyConfigState", () => {
  it("reports nothing when the artifact says what we run with", () => {
    const reload = applyConfigState(current, { app_config: { ground_control_url: "https://gc.cli" } });
    expect(reload.changes).toEqual([]);
    expect(reload.live).toEqual([]);
  });

  it("applies a new sync policy (windows, bandwidth cap) live", () => {
    const sync_policy = {
      max_bytes_per_second: 5_000_000,
      windows: [{ start: "22:00", duration: "8h", time_zone: "Europe/Berlin" }],
    };
    const reload = applyConfigState(current, { app_config: { ground_control_url: "https://gc.cli", sync_policy } });
    expect(reload.live).toEqual(["sync_policy"]);
    expect(reload.restartRequired).toEqual([]);
    expect(reload.config.app_config.sync_policy).toMatchObject({
      max_bytes_per_second: 5_000_000,
      check_state_outside_window: true,
      windows: [{ start: "22:00", duration: "8h", time_zone: "Europe/Berlin" }],
    });
  });

  it("applies intervals, log level and local registry live, and keeps the local state_config", () => {
    const reload = applyConfigState(current, {
      state_config: { auth: { url: "https://evil", username: "x", password: "y" }, state: "evil/x" },
      app_config: {
        ground_control_url: "https://gc.cli",
        log_level: "debug",
        state_replication_interval: "@every 00h05m00s",
        heartbeat_interval: "@every 1m",
        local_registry: { url: "http://10.0.0.5:5000", username: "u", password: "p" },
      },
    });
    expect(reload.live.sort()).toEqual([
      "heartbeat_interval",
      "local_registry",
      "log_level",
      "state_replication_interval",
    ]);
    expect(reload.restartRequired).toEqual([]);
    expect(reload.config.state_config).toBe(current.state_config);
    expect(reload.config.app_config.state_replication_interval).toBe("@every 00h05m00s");
    const registryChange = reload.changes.find((c) => c.path === "app_config.local_registry");
    expect(JSON.stringify(registryChange)).not.toContain('"p"');
    expect(registryChange?.to).toMatchObject({ password: "[redacted]", url: "http://10.0.0.5:5000" });
  });

  it("persists fields that need a restart and says so; pinned CLI fields never change", () => {
    const reload = applyConfigState(
      current,
      { app_config: { ground_control_url: "https://gc.other", encrypt_config: false, tls: { skip_verify: true } } },
      { pinned: ["ground_control_url"] },
    );
    expect(reload.config.app_config.ground_control_url).toBe("https://gc.cli");
    expect(reload.config.app_config.encrypt_config).toBe(false);
    expect(reload.restartRequired.sort()).toEqual(["app_config.encrypt_config", "app_config.tls"]);
    expect(reload.live).toEqual([]);
  });

  it("refuses an invalid artifact with the path of the problem", () => {
    expect(() => applyConfigState(current, { app_config: { heartbeat_interval: "sometimes" } })).toThrow(
      ConfigValidationError,
    );
    expect(() => applyConfigState(current, { app_config: { heartbeat_interval: "sometimes" } })).toThrow(
      /config-state artifact is invalid: app_config.heartbeat_interval/,
    );
  });
});
