// The satellite config (docs/upstream-harbor-satellite.md §3, Go `pkg/config/config.go`) as one
// JSON schema: every key the original reads, closed (a typo such as "heartbeat_intervall" is
// refused, not silently ignored), with the defaults a satellite runs with when a key is absent.
// Ground Control validates configs with it and the satellite parses config.json and config-state
// artifacts with it, so both give the same verdict on every document.
//
// Formats are ours (validate.ts registers them): `schedule` (parseSchedule), `http-url`,
// `http-url-or-empty`, `registry-address-or-empty`, `byte-size-or-empty` (byte-size.ts) and
// `trusted-public-key` (trusted-key.ts). A
// `description` on a subschema is the message when that subschema fails (the cross-field rules
// under `then`).

import { TRUSTED_KEY_EXPECTED } from "./trusted-key.js";

export const DEFAULT_STATE_REPLICATION_INTERVAL = "@every 00h00m10s";
export const DEFAULT_REGISTER_SATELLITE_INTERVAL = "@every 00h00m30s";
export const DEFAULT_HEARTBEAT_INTERVAL = "@every 00h00m30s";
export const DEFAULT_LOCAL_REGISTRY_URL = "http://127.0.0.1:8585";
export const DEFAULT_STORE_GC_INTERVAL = "@every 06h00m00s";

/** zerolog's names (the original's) and pino's `silent` (what `satellite --log-level silent` saves). */
export const CONFIG_LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "panic", "silent"] as const;
/** Container runtimes `registry_fallback.runtimes` may name (the original's `validRuntimes`). */
export const RUNTIME_NAMES = ["containerd", "docker", "crio", "podman"] as const;

const text = { type: "string", default: "" } as const;
const flag = <D extends boolean>(d: D) => ({ type: "boolean", default: d }) as const;
const schedule = <D extends string>(d: D) => ({ type: "string", format: "schedule", default: d }) as const;
/** An object with exactly these keys (absent ones get their defaults). */
const closed = <const P extends Record<string, unknown>>(properties: P) =>
  ({ type: "object", additionalProperties: false, properties, default: {} }) as const;
/** Without a default: kept absent when absent. */
const closedOptional = <const P extends Record<string, unknown>>(properties: P) =>
  ({ type: "object", additionalProperties: false, properties }) as const;
const count = (minimum: number) => ({ type: "integer", minimum }) as const;

/** `key` must be a non-empty string when `when` is a non-empty string (tls cert and key go together). */
const requiredWith = (key: string, when: string) =>
  ({
    if: { type: "object", properties: { [when]: { type: "string", minLength: 1 } }, required: [when] },
    then: {
      type: "object",
      required: [key],
      properties: { [key]: { type: "string", minLength: 1, description: `required when ${when} is set` } },
      description: `required when ${when} is set`,
    },
  }) as const;

const auditSchema = closedOptional({
  enabled: { type: "boolean" },
  syslog: closedOptional({
    enabled: { type: "boolean" },
    target: { enum: ["", "daemon", "network", "file"] },
    tag: { type: "string" },
    socket_path: { type: "string" },
    network: { enum: ["", "udp", "tcp"] },
    address: { type: "string" },
    file: closedOptional({
      path: { type: "string" },
      max_size_mb: count(1),
      max_backups: count(0),
      max_age_days: count(0),
      compress: { type: "boolean" },
    }),
  }),
  otel: closedOptional({ enabled: { type: "boolean" }, endpoint: { type: "string", format: "http-url-or-empty" } }),
});

/** Days a sync window may start on (cron's names). */
export const WEEK_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
/** Longest sync window: a week (a longer one would overlap itself). */
export const MAX_WINDOW_MS = 7 * 24 * 3_600_000;

const bytesPerSecond = {
  type: "integer",
  minimum: 0,
  description: "bytes per second for the whole satellite, all copies together (0: no cap)",
} as const;

/** Formats `time-zone` (an IANA zone Intl knows) and `window-duration` (a Go duration, > 0, ≤ 7 days): validate.ts. */
const syncWindowSchema = {
  type: "object",
  additionalProperties: false,
  required: ["start", "duration"],
  properties: {
    days: {
      type: "array",
      items: { enum: WEEK_DAYS },
      minItems: 1,
      uniqueItems: true,
      default: [...WEEK_DAYS],
      description: `expected at least one day the window starts on (${WEEK_DAYS.join(", ")})`,
    },
    start: {
      type: "string",
      pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$",
      description: 'expected the window\'s start as "HH:MM" (24-hour clock, in time_zone)',
    },
    duration: { type: "string", format: "window-duration" },
    time_zone: { type: "string", format: "time-zone", default: "UTC" },
    max_bytes_per_second: bytesPerSecond,
  },
} as const;

const syncPolicySchema = closed({
  windows: {
    type: "array",
    items: syncWindowSchema,
    default: [],
    description: "when layer bytes may be fetched (agent and sync --once); none: always",
  },
  check_state_outside_window: {
    ...flag(true),
    description: "false: no state pass at all outside the windows (true: configs and manifests are still read)",
  },
  max_bytes_per_second: { ...bytesPerSecond, default: 0 },
});

/** With require_signature on and no key, nothing could ever be served: refused, saying what is needed. */
const NO_TRUSTED_KEY = `require_signature is true: expected at least one trusted key, ${TRUSTED_KEY_EXPECTED}`;

/**
 * `require_signature`: the local registry serves a runnable image only when a cosign signature
 * beside it verifies with one of `trusted_keys` and names its digest (services/satellite/src/policy).
 * Each key is checked by the `trusted-public-key` format (trusted-key.ts: PEM, P-256 or Ed25519).
 */
const signaturePolicySchema = {
  ...closed({
    require_signature: {
      type: "boolean",
      default: false,
      description: "true: serve only images with a cosign signature that verifies with one of trusted_keys",
    },
    trusted_keys: {
      type: "array",
      items: { type: "string", format: "trusted-public-key", description: `expected ${TRUSTED_KEY_EXPECTED}` },
      default: [],
      description: `the keys signatures are verified with, each ${TRUSTED_KEY_EXPECTED}`,
    },
  }),
  if: { type: "object", properties: { require_signature: { const: true } }, required: ["require_signature"] },
  then: {
    type: "object",
    required: ["trusted_keys"],
    properties: { trusted_keys: { type: "array", minItems: 1, description: NO_TRUSTED_KEY } },
    description: NO_TRUSTED_KEY,
  },
} as const;

export const SATELLITE_CONFIG_SCHEMA = {
  $id: "https://harbor-satellite/schemas/satellite-config.json",
  type: "object",
  additionalProperties: false,
  properties: {
    /** The satellite's own: robot credentials and its satellite-state URL, written by enrolment. */
    state_config: closed({
      auth: closed({
        url: { type: "string", format: "registry-address-or-empty", default: "" },
        username: text,
        password: text,
      }),
      state: { type: "string", format: "registry-address-or-empty", default: "" },
    }),
    app_config: closed({
      ground_control_url: { type: "string", format: "http-url-or-empty", default: "" },
      log_level: { enum: CONFIG_LOG_LEVELS, default: "info" },
      use_unsecure: flag(false),
      state_replication_interval: schedule(DEFAULT_STATE_REPLICATION_INTERVAL),
      register_satellite_interval: schedule(DEFAULT_REGISTER_SATELLITE_INTERVAL),
      heartbeat_interval: schedule(DEFAULT_HEARTBEAT_INTERVAL),
      metrics: closed({ collect_cpu: flag(true), collect_memory: flag(true), collect_storage: flag(true) }),
      bring_own_registry: flag(false),
      local_registry: closed({
        url: { type: "string", format: "http-url", default: DEFAULT_LOCAL_REGISTRY_URL },
        username: text,
        password: text,
        /** With bring_own_registry: a PEM file of CAs to trust for an https:// url (beside the system's). */
        ca_file: {
          type: "string",
          default: "",
          description: "expected the path of a PEM file of CA certificates trusted for the bring-your-own registry",
        },
        /** With bring_own_registry: do not verify the https:// url's certificate (test setups only). */
        skip_verify: {
          type: "boolean",
          default: false,
          description: "expected true to skip verifying the bring-your-own registry's TLS certificate",
        },
      }),
      tls: {
        ...closed({ cert_file: text, key_file: text, ca_file: text, skip_verify: flag(false) }),
        allOf: [requiredWith("key_file", "cert_file"), requiredWith("cert_file", "key_file")],
      },
      spiffe: closed({
        enabled: flag(false),
        endpoint_socket: {
          type: "string",
          pattern: String.raw`^$|^unix:///?\S+$|^tcp://\S+$`,
          default: "",
          description: "expected unix:///path or tcp://ip:port",
        },
        expected_server_id: {
          type: "string",
          pattern: "^$|^spiffe://",
          default: "",
          description: "expected a spiffe:// ID",
        },
      }),
      encrypt_config: flag(true),
      registry_fallback: closed({
        enabled: flag(false),
        registries: { type: "array", items: { type: "string", minLength: 1 }, default: ["docker.io"] },
        runtimes: { type: "array", items: { enum: RUNTIME_NAMES }, default: [] },
      }),
      harbor_registry_url: { type: "string", format: "registry-address-or-empty", default: "" },
      direct_delivery: {
        ...closed({ enabled: flag(false), image_dir: text }),
        if: { type: "object", properties: { enabled: { const: true } }, required: ["enabled"] },
        then: {
          type: "object",
          required: ["image_dir"],
          properties: {
            image_dir: { type: "string", minLength: 1, description: "required when direct delivery is enabled" },
          },
          description: "required when direct delivery is enabled",
        },
      },
      /**
       * Disk quota of the satellite's store: "" (none), bytes ("1073741824") or a size with a unit
       * ("10GiB", "500MB"). With a quota, images no group wants any more stay (served) while they
       * fit; a pass over it evicts them, least recently pulled first, never a wanted one.
       */
      store_quota: {
        type: "string",
        format: "byte-size-or-empty",
        default: "",
        description: 'expected "" (no quota), a number of bytes or a size such as 10GiB',
      },
      /** How often the store's garbage collection runs besides after every pass that removed images. */
      store_gc_interval: schedule(DEFAULT_STORE_GC_INTERVAL),
      /** The original's audit sink settings; checked, kept, not used by this satellite yet. */
      audit: auditSchema,
      /** Which images the satellite's registry serves: signed ones only, with require_signature. */
      signature_policy: signaturePolicySchema,
      /** When layer bytes may be fetched, and how fast (issue 13: sync windows, bandwidth cap). */
      sync_policy: syncPolicySchema,
    }),
    /** The original's embedded Zot config, kept verbatim (null, as older Go versions wrote, is absent). */
    zot_config: { type: ["object", "null"] },
  },
} as const;
