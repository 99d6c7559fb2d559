// The satellite config shape (docs/upstream-harbor-satellite.md §3, Go `pkg/config`) as a JSON
// schema, and the check that turns its first violation into an InvalidArgument naming the path.
// `app_config` keys are closed so a typo ("heartbeat_intervall") is refused instead of silently
// ignored by the satellite; `zot_config` and `audit` are passed through as the satellite reads them.
import { Ajv, type ErrorObject } from "ajv";
import { InvalidArgumentError } from "@harbor-satellite/rpc";
import { isSchedule } from "./schedule.js";

const str = { type: "string" } as const;
const bool = { type: "boolean" } as const;
const url = { type: "string", format: "url" } as const;
const schedule = { type: "string", format: "schedule" } as const;
const closed = (properties: Record<string, unknown>) => ({ type: "object", additionalProperties: false, properties });

export const SATELLITE_CONFIG_SCHEMA = {
  $id: "https://harbor-satellite/schemas/satellite-config.json",
  ...closed({
    app_config: closed({
      ground_control_url: url,
      log_level: { enum: ["trace", "debug", "info", "warn", "error", "fatal", "panic"] },
      use_unsecure: bool,
      state_replication_interval: schedule,
      register_satellite_interval: schedule,
      heartbeat_interval: schedule,
      metrics: closed({ collect_cpu: bool, collect_memory: bool, collect_storage: bool }),
      bring_own_registry: bool,
      local_registry: closed({ url, username: str, password: str }),
      tls: closed({ cert_file: str, key_file: str, ca_file: str, skip_verify: bool }),
      spiffe: closed({ enabled: bool, endpoint_socket: str, expected_server_id: str }),
      encrypt_config: bool,
      registry_fallback: closed({ enabled: bool, registries: { type: "array", items: str }, runtimes: { type: "array", items: str } }),
      harbor_registry_url: url,
      direct_delivery: closed({ enabled: bool, image_dir: str }),
      audit: { type: "object" },
    }),
    zot_config: { type: "object" },
  }),
  required: ["app_config"],
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
ajv.addFormat("schedule", { type: "string", validate: isSchedule });
ajv.addFormat("url", { type: "string", validate: (v: string) => URL.canParse(v) && /^https?:\/\//.test(v) });
const validate = ajv.compile(SATELLITE_CONFIG_SCHEMA);

/** `/app_config/tls/skip_verify` → `app_config.tls.skip_verify`. */
function pathOf(error: ErrorObject): string {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  return path.length === 0 ? "the config" : path.join(".");
}

function describe(error: ErrorObject, value: unknown): string {
  const at = pathOf(error);
  switch (error.keyword) {
    case "additionalProperties":
      return `${at} has unknown key ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
    case "required":
      return `${at} must have ${JSON.stringify((error.params as { missingProperty: string }).missingProperty)}`;
    case "format":
      if (error.params.format === "schedule") {
        return `${at} ${JSON.stringify(value)} is not a schedule: use "@every <duration>" (e.g. "@every 00h00m30s") or a five-field cron expression`;
      }
      return `${at} ${JSON.stringify(value)} is not an http(s) URL`;
    case "enum":
      return `${at} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${at} ${error.message ?? "is invalid"}`;
  }
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node = root;
  for (const part of instancePath.split("/").slice(1)) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return node;
}

/** Throws InvalidArgumentError (prefixed with `field`) when `config` is not a valid satellite config. */
export function requireSatelliteConfig(field: string, config: unknown): Record<string, unknown> {
  if (validate(config)) return config as unknown as Record<string, unknown>;
  const [first] = validate.errors ?? [];
  throw new InvalidArgumentError(`${field}: ${first ? describe(first, valueAt(config, first.instancePath)) : "is not a valid satellite config"}`);
}

