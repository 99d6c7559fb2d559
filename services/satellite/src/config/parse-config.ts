// Parses and validates a satellite config from JSON (config.json, a config-state artifact, or
// built from flags): fills defaults, normalises log levels, checks schedules, URLs and enums,
// and reports every problem with its path. Unknown keys are ignored, as Go's decoder does.
import { ConfigValidationError, type ConfigIssue } from "./config-error.js";
import { parseSchedule } from "./schedule.js";
import { defaultConfig, LOG_LEVELS, type AppConfig, type LogLevel, type SatelliteConfig, type StateConfig } from "./satellite-config.js";

type Json = Record<string, unknown>;

export const RUNTIME_NAMES = ["containerd", "docker", "crio", "podman"] as const;

/** Go zerolog names the original accepted, mapped to pino's. */
const LEVEL_ALIASES: Record<string, LogLevel> = { warning: "warn", panic: "fatal", disabled: "silent", off: "silent" };

/** Collects issues while reading typed fields out of untyped JSON. */
class FieldReader {
  readonly issues: ConfigIssue[] = [];

  fail(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  object(value: unknown, path: string): Json {
    if (value === undefined || value === null) return {};
    if (typeof value === "object" && !Array.isArray(value)) return value as Json;
    this.fail(path, "expected an object");
    return {};
  }

  string(obj: Json, key: string, path: string, fallback: string): string {
    const value = obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value === "string") return value.trim();
    this.fail(`${path}.${key}`, "expected a string");
    return fallback;
  }

  boolean(obj: Json, key: string, path: string, fallback: boolean): boolean {
    const value = obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value === "boolean") return value;
    this.fail(`${path}.${key}`, "expected true or false");
    return fallback;
  }

  strings(obj: Json, key: string, path: string, fallback: string[]): string[] {
    const value = obj[key];
    if (value === undefined || value === null) return [...fallback];
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.map((v: string) => v.trim()).filter((v) => v !== "");
    this.fail(`${path}.${key}`, "expected a list of strings");
    return [...fallback];
  }

  schedule(obj: Json, key: string, path: string, fallback: string): string {
    const text = this.string(obj, key, path, fallback) || fallback;
    try {
      return parseSchedule(text).text;
    } catch (error) {
      this.fail(`${path}.${key}`, (error as Error).message);
      return fallback;
    }
  }

  /** An http(s) URL, or empty when `optional`. */
  httpUrl(obj: Json, key: string, path: string, fallback: string, optional: boolean): string {
    const text = this.string(obj, key, path, fallback);
    if (text === "" && optional) return "";
    if (!isHttpUrl(text)) this.fail(`${path}.${key}`, `expected an http:// or https:// URL, got ${JSON.stringify(text.slice(0, 200))}`);
    return text.replace(/\/+$/, "");
  }

  /** A registry address as the original emits them: `host[:port][/path]`, with or without a scheme. */
  registryAddress(obj: Json, key: string, path: string): string {
    const text = this.string(obj, key, path, "");
    if (text !== "" && !isHttpUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`)) {
      this.fail(`${path}.${key}`, `expected a registry address such as harbor.example.com or https://harbor.example.com, got ${JSON.stringify(text.slice(0, 200))}`);
    }
    return text;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

function readStateConfig(r: FieldReader, raw: unknown): StateConfig {
  const obj = r.object(raw, "state_config");
  const auth = r.object(obj.auth, "state_config.auth");
  return {
    auth: {
      url: r.registryAddress(auth, "url", "state_config.auth"),
      username: r.string(auth, "username", "state_config.auth", ""),
      password: r.string(auth, "password", "state_config.auth", ""),
    },
    state: r.registryAddress(obj, "state", "state_config"),
  };
}

function readLogLevel(r: FieldReader, obj: Json, fallback: LogLevel): LogLevel {
  const text = r.string(obj, "log_level", "app_config", fallback).toLowerCase() || fallback;
  const level = LEVEL_ALIASES[text] ?? text;
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  r.fail("app_config.log_level", `expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(text)}`);
  return fallback;
}

function readAppConfig(r: FieldReader, raw: unknown): AppConfig {
  const d = defaultConfig().app_config;
  const p = "app_config";
  const obj = r.object(raw, p);
  const metrics = r.object(obj.metrics, `${p}.metrics`);
  const local = r.object(obj.local_registry, `${p}.local_registry`);
  const tls = r.object(obj.tls, `${p}.tls`);
  const spiffe = r.object(obj.spiffe, `${p}.spiffe`);
  const fallback = r.object(obj.registry_fallback, `${p}.registry_fallback`);
  const direct = r.object(obj.direct_delivery, `${p}.direct_delivery`);
  const config: AppConfig = {
    ground_control_url: r.httpUrl(obj, "ground_control_url", p, "", true),
    log_level: readLogLevel(r, obj, d.log_level),
    use_unsecure: r.boolean(obj, "use_unsecure", p, d.use_unsecure),
    state_replication_interval: r.schedule(obj, "state_replication_interval", p, d.state_replication_interval),
    register_satellite_interval: r.schedule(obj, "register_satellite_interval", p, d.register_satellite_interval),
    heartbeat_interval: r.schedule(obj, "heartbeat_interval", p, d.heartbeat_interval),
    metrics: {
      collect_cpu: r.boolean(metrics, "collect_cpu", `${p}.metrics`, d.metrics.collect_cpu),
      collect_memory: r.boolean(metrics, "collect_memory", `${p}.metrics`, d.metrics.collect_memory),
      collect_storage: r.boolean(metrics, "collect_storage", `${p}.metrics`, d.metrics.collect_storage),
    },
    bring_own_registry: r.boolean(obj, "bring_own_registry", p, d.bring_own_registry),
    local_registry: {
      url: r.httpUrl(local, "url", `${p}.local_registry`, d.local_registry.url, false),
      username: r.string(local, "username", `${p}.local_registry`, ""),
      password: r.string(local, "password", `${p}.local_registry`, ""),
    },
    tls: {
      cert_file: r.string(tls, "cert_file", `${p}.tls`, ""),
      key_file: r.string(tls, "key_file", `${p}.tls`, ""),
      ca_file: r.string(tls, "ca_file", `${p}.tls`, ""),
      skip_verify: r.boolean(tls, "skip_verify", `${p}.tls`, false),
    },
    spiffe: {
      enabled: r.boolean(spiffe, "enabled", `${p}.spiffe`, false),
      endpoint_socket: r.string(spiffe, "endpoint_socket", `${p}.spiffe`, ""),
      expected_server_id: r.string(spiffe, "expected_server_id", `${p}.spiffe`, ""),
    },
    encrypt_config: r.boolean(obj, "encrypt_config", p, d.encrypt_config),
    registry_fallback: {
      enabled: r.boolean(fallback, "enabled", `${p}.registry_fallback`, false),
      registries: r.strings(fallback, "registries", `${p}.registry_fallback`, d.registry_fallback.registries),
      runtimes: r.strings(fallback, "runtimes", `${p}.registry_fallback`, []),
    },
    harbor_registry_url: r.registryAddress(obj, "harbor_registry_url", p),
    direct_delivery: {
      enabled: r.boolean(direct, "enabled", `${p}.direct_delivery`, false),
      image_dir: r.string(direct, "image_dir", `${p}.direct_delivery`, ""),
    },
  };
  if (obj.audit !== undefined && obj.audit !== null) config.audit = r.object(obj.audit, `${p}.audit`);
  checkCrossFields(r, config);
  return config;
}

function checkCrossFields(r: FieldReader, c: AppConfig): void {
  const p = "app_config";
  if (c.tls.cert_file !== "" && c.tls.key_file === "") r.fail(`${p}.tls.key_file`, "required when cert_file is set");
  if (c.tls.key_file !== "" && c.tls.cert_file === "") r.fail(`${p}.tls.cert_file`, "required when key_file is set");
  const socket = c.spiffe.endpoint_socket;
  if (socket !== "" && !/^(unix:\/\/\/?[^\s]+|tcp:\/\/[^\s]+)$/.test(socket)) r.fail(`${p}.spiffe.endpoint_socket`, `expected unix:///path or tcp://ip:port, got ${JSON.stringify(socket)}`);
  if (c.spiffe.expected_server_id !== "" && !c.spiffe.expected_server_id.startsWith("spiffe://")) r.fail(`${p}.spiffe.expected_server_id`, "expected a spiffe:// ID");
  c.registry_fallback.runtimes.forEach((name, i) => {
    if (!(RUNTIME_NAMES as readonly string[]).includes(name)) r.fail(`${p}.registry_fallback.runtimes[${i}]`, `unknown runtime ${JSON.stringify(name)}; expected one of ${RUNTIME_NAMES.join(", ")}`);
  });
  if (c.direct_delivery.enabled && c.direct_delivery.image_dir === "") r.fail(`${p}.direct_delivery.image_dir`, "required when direct delivery is enabled");
}

/**
 * Parses a whole config. `source` names it in the error (a file path, "config-state artifact").
 * Throws ConfigValidationError listing every problem.
 */
export function parseSatelliteConfig(raw: unknown, source = "config"): SatelliteConfig {
  const r = new FieldReader();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigValidationError([{ path: "(root)", message: "expected a JSON object" }], source);
  const obj = raw as Json;
  const config: SatelliteConfig = { state_config: readStateConfig(r, obj.state_config), app_config: readAppConfig(r, obj.app_config) };
  if (obj.zot_config !== undefined && obj.zot_config !== null) config.zot_config = r.object(obj.zot_config, "zot_config");
  if (r.issues.length > 0) throw new ConfigValidationError(r.issues, source);
  return config;
}

/** Parses config JSON text; a syntax error is reported like any other issue. */
export function parseSatelliteConfigJson(text: string, source = "config"): SatelliteConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigValidationError([{ path: "(root)", message: `not JSON: ${(error as Error).message}` }], source);
  }
  return parseSatelliteConfig(raw, source);
}
