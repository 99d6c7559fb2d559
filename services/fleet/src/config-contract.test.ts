// One table of satellite config documents through both sides of the contract: Ground Control's
// fleet service in-process (CreateConfig, UpdateConfig with config_json and with a merge patch)
// and the satellite's parse paths (config.json / flags, and a config-state artifact applied while
// running). Every row gets the same verdict everywhere, and a refusal names the same problems.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { Code, type Client } from "@connectrpc/connect";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import {
  applyConfigState,
  ConfigValidationError,
  defaultConfig as satelliteDefaults,
  parseSatelliteConfig,
} from "@harbor-satellite/satellite/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig as groundControlDefault } from "./default-config.js";
import { startTestFleet, type TestFleet } from "./test-fleet.js";
import { failure } from "./testing.js";

const publicPem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
const P256_KEY = publicPem(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey);
const P384_KEY = publicPem(generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey);
const ED25519_KEY = publicPem(generateKeyPairSync("ed25519").publicKey);

type Row = [name: string, document: Record<string, unknown>, refused: string[]];
const app = (app_config: Record<string, unknown>) => ({ app_config });

const VALID: Row[] = [
  ["an empty config (every default)", {}, []],
  ["Ground Control's default config", groundControlDefault(), []],
  [
    "every key of the original's wire format",
    {
      state_config: {
        auth: { url: "https://harbor.example.com", username: "robot$edge-1", password: "s3cret" },
        state: "harbor.example.com/satellite/satellite-state/edge-1/state:latest",
      },
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
        tls: { cert_file: "/c.pem", key_file: "/k.pem", ca_file: "/ca.pem", skip_verify: false },
        spiffe: {
          enabled: true,
          endpoint_socket: "unix:///run/spire/sockets/agent.sock",
          expected_server_id: "spiffe://harbor-satellite.local/ground-control",
        },
        encrypt_config: true,
        registry_fallback: {
          enabled: true,
          registries: ["docker.io", "quay.io"],
          runtimes: ["containerd", "docker", "crio", "podman"],
        },
        harbor_registry_url: "harbor.example.com:8443",
        direct_delivery: { enabled: true, image_dir: "/var/lib/rancher/k3s/agent/images" },
        audit: {
          enabled: true,
          syslog: {
            enabled: true,
            target: "file",
            tag: "harbor-audit",
            file: { path: "./audit.log", max_size_mb: 100, max_backups: 0, max_age_days: 30, compress: true },
          },
          otel: { enabled: true, endpoint: "http://127.0.0.1:4318" },
        },
      },
      zot_config: { distSpecVersion: "1.1.0", http: { address: "0.0.0.0", port: "8585" } },
    },
    [],
  ],
  // What the Go Ground Control stores: its structs re-marshalled, empty ones included.
  [
    "the Go Ground Control's re-marshalled config",
    {
      state_config: { auth: {} },
      app_config: {
        metrics: {},
        local_registry: {},
        tls: {},
        spiffe: {},
        registry_fallback: {},
        direct_delivery: {},
        audit: { syslog: { file: {} }, otel: {} },
      },
    },
    [],
  ],
  [
    "an older Go version's empty URL and null zot_config",
    { app_config: { ground_control_url: "", log_level: "info" }, zot_config: null },
    [],
  ],
  ["zerolog's panic and pino's silent", app({ log_level: "panic", tls: { ca_file: "/ca.pem" } }), []],
  [
    "schedules: @every with fractions, descriptors, cron with names",
    app({
      state_replication_interval: "@every 1.5h",
      register_satellite_interval: "@daily",
      heartbeat_interval: "0 0 * * MON",
    }),
    [],
  ],
  [
    "require_signature with a P-256 and an Ed25519 key",
    app({ signature_policy: { require_signature: true, trusted_keys: [P256_KEY, ED25519_KEY] } }),
    [],
  ],
];

const INVALID: Row[] = [
  ["not an object", [] as unknown as Record<string, unknown>, ["(root)"]],
  ["an unknown key at the root", { log_level: "debug" }, ["log_level"]],
  ["an unknown app_config key (typo)", app({ heartbeat_intervall: "@every 30s" }), ["app_config.heartbeat_intervall"]],
  ["an unknown nested key", app({ tls: { verify: false } }), ["app_config.tls.verify"]],
  ["a string for a boolean", app({ use_unsecure: "yes" }), ["app_config.use_unsecure"]],
  ["a number for a boolean", app({ metrics: { collect_cpu: 1 } }), ["app_config.metrics.collect_cpu"]],
  [
    "a string for a list",
    app({ registry_fallback: { registries: "docker.io" } }),
    ["app_config.registry_fallback.registries"],
  ],
  ["a list for an object", app({ local_registry: [] }), ["app_config.local_registry"]],
  ["a string for zot_config", { zot_config: "yes" }, ["zot_config"]],
  ['log_level "warning" (not a zerolog name)', app({ log_level: "warning" }), ["app_config.log_level"]],
  ["log_level in capitals", app({ log_level: "INFO" }), ["app_config.log_level"]],
  [
    "an unknown runtime",
    app({ registry_fallback: { runtimes: ["containerd", "rkt"] } }),
    ["app_config.registry_fallback.runtimes[1]"],
  ],
  ["an unknown audit target", app({ audit: { syslog: { target: "journal" } } }), ["app_config.audit.syslog.target"]],
  ["a Go duration without @every", app({ heartbeat_interval: "30s" }), ["app_config.heartbeat_interval"]],
  ["@every zero", app({ state_replication_interval: "@every 0s" }), ["app_config.state_replication_interval"]],
  [
    "@every longer than 366 days",
    app({ register_satellite_interval: "@every 9000h" }),
    ["app_config.register_satellite_interval"],
  ],
  ["cron with a minute out of range", app({ heartbeat_interval: "61 * * * *" }), ["app_config.heartbeat_interval"]],
  ["cron with six fields", app({ heartbeat_interval: "0 0 * * * *" }), ["app_config.heartbeat_interval"]],
  ["an unknown descriptor", app({ heartbeat_interval: "@often" }), ["app_config.heartbeat_interval"]],
  ["a URL without a scheme", app({ ground_control_url: "gc:8080" }), ["app_config.ground_control_url"]],
  ["an ftp URL", app({ local_registry: { url: "ftp://registry" } }), ["app_config.local_registry.url"]],
  ["an empty local registry URL", app({ local_registry: { url: "" } }), ["app_config.local_registry.url"]],
  [
    "credentials in a URL",
    app({ harbor_registry_url: "https://admin:pw@harbor.example.com" }),
    ["app_config.harbor_registry_url"],
  ],
  [
    "audit rotation size below 1",
    app({ audit: { syslog: { file: { max_size_mb: 0 } } } }),
    ["app_config.audit.syslog.file.max_size_mb"],
  ],
  [
    "a negative backup count",
    app({ audit: { syslog: { file: { max_backups: -1 } } } }),
    ["app_config.audit.syslog.file.max_backups"],
  ],
  [
    "a fractional age",
    app({ audit: { syslog: { file: { max_age_days: 1.5 } } } }),
    ["app_config.audit.syslog.file.max_age_days"],
  ],
  ["a TLS cert without its key", app({ tls: { cert_file: "/c.pem" } }), ["app_config.tls.key_file"]],
  [
    "direct delivery without an image dir",
    app({ direct_delivery: { enabled: true } }),
    ["app_config.direct_delivery.image_dir"],
  ],
  [
    "a SPIFFE socket path without scheme",
    app({ spiffe: { endpoint_socket: "/run/agent.sock" } }),
    ["app_config.spiffe.endpoint_socket"],
  ],
  [
    "a server ID that is not a SPIFFE ID",
    app({ spiffe: { expected_server_id: "https://gc" } }),
    ["app_config.spiffe.expected_server_id"],
  ],
  [
    "require_signature without trusted_keys",
    app({ signature_policy: { require_signature: true } }),
    ["app_config.signature_policy.trusted_keys"],
  ],
  [
    "require_signature with an empty trusted_keys",
    app({ signature_policy: { require_signature: true, trusted_keys: [] } }),
    ["app_config.signature_policy.trusted_keys"],
  ],
  [
    "a trusted key that is not PEM",
    app({ signature_policy: { require_signature: true, trusted_keys: ["ssh-ed25519 AAAAC3Nz"] } }),
    ["app_config.signature_policy.trusted_keys[0]"],
  ],
  [
    "a trusted key of an unsupported scheme (P-384)",
    app({ signature_policy: { require_signature: true, trusted_keys: [ED25519_KEY, P384_KEY] } }),
    ["app_config.signature_policy.trusted_keys[1]"],
  ],
  [
    "several problems at once",
    { state_config: { auth: { url: 42 } }, app_config: { log_level: "loud", heartbeat_interval: "soon", bogus: true } },
    ["state_config.auth.url", "app_config.bogus", "app_config.log_level", "app_config.heartbeat_interval"],
  ],
];

const hasNull = (value: unknown): boolean =>
  value === null || (typeof value === "object" && Object.values(value as object).some(hasNull));

/** The problems part of either side's message: `a: …; b: …` after "config_json: " or "… is invalid: ". */
const problemsOf = (message: string) =>
  message.replace(/^.*?(config_json|merge_patch_json \(applied\)): /, "").replace(/^.*? is invalid: /, "");

describe("the satellite config contract, on both sides", () => {
  let t: TestFleet;
  let fleet: Client<typeof FleetService>;
  let n = 0;
  beforeAll(async () => {
    t = await startTestFleet();
    fleet = t.fleet;
  });
  afterAll(async () => t?.close());

  /** Ground Control's verdicts: undefined when accepted, else the problems of each refusal. */
  async function groundControl(document: unknown): Promise<(string | undefined)[]> {
    const name = `contract-${++n}`;
    const json = JSON.stringify(document);
    const verdict = async (call: Promise<unknown>) => {
      try {
        await call;
        return undefined;
      } catch (error) {
        const { code, message } = await failure(Promise.reject(error));
        expect(code).toBe(Code.InvalidArgument);
        return problemsOf(message);
      }
    };
    const created = await verdict(fleet.createConfig({ config: name, configJson: json }));
    if (created !== undefined) await fleet.createConfig({ config: name, configJson: "{}" });
    const replaced = await verdict(fleet.updateConfig({ config: name, change: { case: "configJson", value: json } }));
    const verdicts = [created, replaced];
    // A merge patch onto an empty config yields the document itself unless it holds nulls (which delete).
    if (!hasNull(document) && typeof document === "object" && !Array.isArray(document)) {
      await fleet.updateConfig({ config: name, change: { case: "configJson", value: "{}" } });
      verdicts.push(
        await verdict(fleet.updateConfig({ config: name, change: { case: "mergePatchJson", value: json } })),
      );
    }
    return verdicts;
  }

  /** The satellite's verdicts: parsing (config.json, flags) and hot-applying a config-state artifact. */
  function satellite(document: unknown): (string | undefined)[] {
    const verdict = (fn: () => unknown) => {
      try {
        fn();
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigValidationError);
        return problemsOf((error as Error).message);
      }
    };
    const running = satelliteDefaults();
    return [
      verdict(() => parseSatelliteConfig(document, "config.json")),
      verdict(() => applyConfigState(running, document)),
    ];
  }

  it.each(VALID)("accepts %s", async (_name, document) => {
    expect(await groundControl(document)).toEqual([undefined, undefined, ...(hasNull(document) ? [] : [undefined])]);
    expect(satellite(document)).toEqual([undefined, undefined]);
  });

  it.each(INVALID)("refuses %s", async (_name, document, paths) => {
    const gc = await groundControl(document);
    const sat = satellite(document);
    const problems = sat[0]!;
    expect(problems).toBeDefined();
    // Not an object: Ground Control's JSON reader refuses it first, in its own words.
    const sameWords = Array.isArray(document) ? sat : [...gc, ...sat];
    for (const verdict of [...gc, ...sat]) expect(verdict).toBeDefined();
    for (const verdict of sameWords) expect(verdict).toBe(problems);
    const named = problems.split("; ").map((p) => p.slice(0, p.indexOf(": ")));
    expect(named).toEqual(paths);
  });

  it("says what a signature policy without a usable key needs, in the same words on both sides", async () => {
    const needed = "a PEM public key (-----BEGIN PUBLIC KEY-----) for ECDSA P-256 or Ed25519";
    const rows: [unknown, string][] = [
      [
        app({ signature_policy: { require_signature: true, trusted_keys: [] } }),
        `app_config.signature_policy.trusted_keys: require_signature is true: expected at least one trusted key, ${needed}`,
      ],
      [
        app({ signature_policy: { require_signature: true, trusted_keys: [P384_KEY] } }),
        `app_config.signature_policy.trusted_keys[0]: expected ${needed}, got an ECDSA key on secp384r1`,
      ],
    ];
    for (const [document, words] of rows) {
      for (const verdict of [...(await groundControl(document)), ...satellite(document)]) expect(verdict).toBe(words);
    }
  });

  it("publishes what it accepts as a config-state the satellite takes whole", async () => {
    const [, full] = VALID[2];
    await fleet.createConfig({ config: "contract-published", configJson: JSON.stringify(full) });
    await t.module.publisher.flush();
    const published = t.registry.configStates.get("contract-published");
    expect(published).toEqual(full);
    const reload = applyConfigState(satelliteDefaults(), published);
    expect(reload.config.app_config).toMatchObject({
      log_level: "debug",
      heartbeat_interval: "@every 1m30s",
      harbor_registry_url: "harbor.example.com:8443",
    });
  });
});
