import { describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { defaultConfig, type SatelliteConfig } from "../config/satellite-config.js";
import { parseAgentArgs } from "./agent-options.js";
import { resolveStartingConfig } from "./agent-config.js";

const enrolled = (gc = "https://gc.example.com"): SatelliteConfig => {
  const c = defaultConfig();
  c.app_config.ground_control_url = gc;
  c.app_config.heartbeat_interval = "@every 1m";
  c.state_config = {
    auth: { url: "https://harbor", username: "robot$edge", password: "secret" },
    state: "harbor/satellite/satellite-state/edge/state:latest",
  };
  return c;
};

describe("the config the agent starts with", () => {
  it("enrols with a token on first start, with the flags laid over the defaults and pinned", () => {
    const options = parseAgentArgs(
      [
        "--ground-control-url",
        "https://gc.example.com",
        "--token",
        "tok",
        "--harbor-registry-url",
        "https://harbor.lan",
        "--log-level",
        "debug",
      ],
      {},
    );
    const r = resolveStartingConfig(options, { status: "unregistered" });
    expect(r.needsEnrolment).toBe(true);
    expect(r.config.app_config).toMatchObject({
      ground_control_url: "https://gc.example.com",
      harbor_registry_url: "https://harbor.lan",
      log_level: "debug",
      spiffe: { enabled: false },
    });
    expect(r.pinned.sort()).toEqual(["ground_control_url", "harbor_registry_url", "log_level", "spiffe"]);
  });

  it("uses a saved enrolment without a token, keeping the saved settings", () => {
    const r = resolveStartingConfig(parseAgentArgs([], {}), { status: "registered", config: enrolled() });
    expect(r.needsEnrolment).toBe(false);
    expect(r.config.state_config.auth.username).toBe("robot$edge");
    expect(r.config.app_config.ground_control_url).toBe("https://gc.example.com");
    expect(r.config.app_config.heartbeat_interval).toBe("@every 1m");
  });

  it("enrols again when pointed at another Ground Control, dropping the old robot", () => {
    const options = parseAgentArgs(
      ["--ground-control-url", "https://other-gc", "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s"],
      {},
    );
    const r = resolveStartingConfig(options, { status: "registered", config: enrolled() });
    expect(r.needsEnrolment).toBe(true);
    expect(r.reenrolReason).toMatch(/enrolled with https:\/\/gc.example.com, now pointed at https:\/\/other-gc/);
    expect(r.config.state_config.auth.password).toBe("");
    expect(r.config.app_config.spiffe).toEqual({ enabled: true, endpoint_socket: "unix:///s", expected_server_id: "" });
  });

  it("refuses to start when it must enrol and has no way to", () => {
    expect(() =>
      resolveStartingConfig(parseAgentArgs(["--ground-control-url", "https://gc"], {}), { status: "unregistered" }),
    ).toThrow(/not enrolled yet: start with --token/);
    expect(() =>
      resolveStartingConfig(parseAgentArgs(["--ground-control-url", "https://gc"], {}), {
        status: "unregistered",
        discarded: "FingerprintMismatchError: sealed on another device",
      }),
    ).toThrow(/saved config was discarded \(FingerprintMismatchError: sealed on another device\)/);
    expect(() => resolveStartingConfig(parseAgentArgs(["--token", "t"], {}), { status: "unregistered" })).toThrow(
      UsageError,
    );
  });
});
