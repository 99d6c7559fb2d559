import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { SATELLITE_CONFIG_SCHEMA } from "@harbor-satellite/satellite-config";
import { ConfigValidationError } from "../config/config-error.js";
import { defaultConfig, type SatelliteConfig } from "../config/satellite-config.js";
import type { Schedule } from "../config/schedule.js";
import { applyArtifactConfig, createConfigApplier, type ConfigUpdate } from "./config-updates.js";
import { registryAddressFromZotConfig } from "./local-registry.js";

function setup(overrides: Partial<ConfigUpdate> = {}) {
  const current = defaultConfig();
  current.state_config = {
    auth: { url: "https://harbor", username: "robot$edge", password: "pw" },
    state: "harbor/satellite/satellite-state/edge/state:latest",
  };
  let lines = "";
  const logger = pino(
    { level: "info" },
    new Writable({ write: (c: Buffer, _e, cb) => ((lines += c.toString()), cb()) }),
  );
  const schedules: Record<string, string[]> = {};
  const job = (name: string) => ({
    setSchedule: (s: Schedule) => (schedules[name] ??= []).push(s.text),
    status: () => ({ finished: name === "registration" }),
  });
  const moves: [string, number][] = [];
  const saved: SatelliteConfig[] = [];
  const update: ConfigUpdate = {
    current,
    document: {},
    digest: "sha256:x",
    pinned: ["ground_control_url", "spiffe"],
    options: { registryAddrPinned: false },
    logger,
    registry: { moveTo: async (host, port) => (moves.push([host, port]), true) },
    scheduler: { get: (name) => job(name) as never },
    save: async (c) => void saved.push(c),
    ...overrides,
  };
  return { update, schedules, moves, saved, logger, lines: () => lines };
}

describe("a config artifact applied while running", () => {
  it("saves first, then re-schedules running jobs, sets the log level and moves the registry", async () => {
    const t = setup();
    t.update.document = {
      app_config: {
        state_replication_interval: "@every 00h01m00s",
        heartbeat_interval: "*/5 * * * *",
        register_satellite_interval: "@every 5s",
        log_level: "warn",
        tls: { skip_verify: true },
      },
      zot_config: { http: { address: "127.0.0.1", port: "5050" } },
    };
    const next = await applyArtifactConfig(t.update);
    expect(t.saved).toEqual([next]);
    expect(next.state_config.auth.password).toBe("pw");
    expect(t.schedules).toEqual({ "state-replication": ["@every 00h01m00s"], heartbeat: ["*/5 * * * *"] });
    expect(t.logger.level).toBe("warn");
    expect(t.moves).toEqual([["127.0.0.1", 5050]]);
    expect(t.lines()).toMatch(/"fields":\["app_config.tls"\],"msg":"config fields that take effect after a restart"/);
  });

  it("applies store_quota live and re-schedules the store-gc job on store_gc_interval", async () => {
    const t = setup();
    t.update.document = { app_config: { store_quota: "10GiB", store_gc_interval: "@every 1h" } };
    const next = await applyArtifactConfig(t.update);
    expect(next.app_config.store_quota).toBe("10GiB");
    expect(t.schedules).toEqual({ "store-gc": ["@every 1h"] });
    expect(t.lines()).not.toMatch(/take effect after a restart/);
  });

  it("leaves pinned fields and a pinned registry address alone", async () => {
    const t = setup({ pinned: ["ground_control_url", "spiffe", "log_level"], options: { registryAddrPinned: true } });
    t.update.current.app_config.ground_control_url = "https://gc";
    t.update.document = {
      app_config: { ground_control_url: "https://elsewhere", log_level: "error" },
      zot_config: { http: { address: "0.0.0.0", port: 9999 } },
    };
    const next = await applyArtifactConfig(t.update);
    expect(next.app_config.ground_control_url).toBe("https://gc");
    expect(next.app_config.log_level).toBe("info");
    expect(t.logger.level).toBe("info");
    expect(t.moves).toEqual([]);
    expect(t.lines()).toContain("--registry-addr pins the registry address");
  });

  it("keeps the registry where it is when it cannot move, and changes nothing for an invalid artifact", async () => {
    const t = setup({ registry: { moveTo: async () => Promise.reject(new Error("EADDRINUSE")) } });
    t.update.document = { zot_config: { http: { address: "127.0.0.1", port: 80 } } };
    await applyArtifactConfig(t.update);
    expect(t.lines()).toContain("local registry could not move");

    const bad = setup();
    bad.update.document = { app_config: { heartbeat_interval: "every now and then" } };
    await expect(applyArtifactConfig(bad.update)).rejects.toBeInstanceOf(ConfigValidationError);
    expect(bad.saved).toEqual([]);
    expect(bad.schedules).toEqual({});
  });

  it("refuses an invalid artifact whole, logging one line per digest that names every problem", async () => {
    const t = setup();
    const apply = createConfigApplier();
    const before = structuredClone(t.update.current);
    t.update.document = {
      app_config: { log_level: "warning", heartbeat_interval: "@every 1m", heartbeat_intervall: "@every 5s" },
    };
    for (let i = 0; i < 3; i++) await expect(apply(t.update)).rejects.toBeInstanceOf(ConfigValidationError);
    expect(t.update.current).toEqual(before);
    expect(t.saved).toEqual([]);
    expect(t.schedules).toEqual({});
    expect(t.logger.level).toBe("info");
    const warnings = t
      .lines()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; msg: string; digest: string });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, digest: "sha256:x" });
    // Every key the schema has, in its order (the list grows with the config).
    const appKeys = Object.keys(SATELLITE_CONFIG_SCHEMA.properties.app_config.properties).join(", ");
    expect(appKeys).toMatch(/^ground_control_url, log_level, .*, direct_delivery, .*audit/);
    expect(warnings[0].msg).toBe(
      `config-state artifact is invalid: app_config.heartbeat_intervall: unknown key (app_config takes ${appKeys}); app_config.log_level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "panic", "silent", got "warning" (nothing of it applied; the running config is kept)`,
    );
    // Another refused digest is logged again; a good one applies.
    await expect(apply({ ...t.update, digest: "sha256:y" })).rejects.toBeInstanceOf(ConfigValidationError);
    expect(t.lines().trim().split("\n")).toHaveLength(2);
    const next = await apply({ ...t.update, digest: "sha256:z", document: { app_config: { log_level: "panic" } } });
    expect(next.app_config.log_level).toBe("panic");
    expect(t.logger.level).toBe("fatal");
  });

  it("does not save when nothing changed", async () => {
    const t = setup();
    t.update.document = JSON.parse(JSON.stringify({ app_config: t.update.current.app_config })) as unknown;
    await applyArtifactConfig(t.update);
    expect(t.saved).toEqual([]);
  });

  it("reads the listen address from zot_config.http", () => {
    expect(registryAddressFromZotConfig({ http: { address: "0.0.0.0", port: "8585" } })).toEqual({
      host: "0.0.0.0",
      port: 8585,
    });
    expect(registryAddressFromZotConfig({ http: { address: "::", port: 5000 } })).toEqual({ host: "::", port: 5000 });
    expect(registryAddressFromZotConfig({ http: { address: "", port: "8585" } })).toBeUndefined();
    expect(registryAddressFromZotConfig({ http: { address: "0.0.0.0", port: "99999" } })).toBeUndefined();
    expect(registryAddressFromZotConfig(undefined)).toBeUndefined();
  });
});
