import { describe, expect, it } from "vitest";
import { HELP, parseConfig } from "./config.js";

describe("ground-control configuration", () => {
  it("defaults to all services on :8080 with the embedded database under ./data", () => {
    expect(parseConfig([], {})).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      dataDir: "./data",
      databaseUrl: undefined,
      services: ["identity", "fleet", "registry", "heartbeat"],
      trustDomain: "harbor-satellite.local",
    });
  });

  it("keeps heartbeats HEARTBEAT_RETENTION_HOURS (default 168), a positive whole number", () => {
    expect(parseConfig([], {})).toMatchObject({ heartbeatRetentionHours: 168 });
    expect(parseConfig([], { HEARTBEAT_RETENTION_HOURS: "24" })).toMatchObject({ heartbeatRetentionHours: 24 });
    for (const bad of ["0", "1.5", "7d", "-1"])
      expect(() => parseConfig([], { HEARTBEAT_RETENTION_HOURS: bad }), bad).toThrow(/HEARTBEAT_RETENTION_HOURS/);
    expect(HELP).toContain("HEARTBEAT_RETENTION_HOURS");
  });

  it("re-resolves group tag filters every TAG_FILTER_POLL_SECONDS (default 60, 0 = off)", () => {
    expect(parseConfig([], {})).toMatchObject({ tagFilterPollSeconds: 60 });
    expect(parseConfig([], { TAG_FILTER_POLL_SECONDS: "15" })).toMatchObject({ tagFilterPollSeconds: 15 });
    expect(parseConfig([], { TAG_FILTER_POLL_SECONDS: "0" })).toMatchObject({ tagFilterPollSeconds: 0 });
    expect(() => parseConfig([], { TAG_FILTER_POLL_SECONDS: "1m" })).toThrow(
      'TAG_FILTER_POLL_SECONDS must be a positive whole number, got "1m"',
    );
    expect(HELP).toContain("TAG_FILTER_POLL_SECONDS");
  });

  it("turns the Harbor webhook route on only with HARBOR_WEBHOOK_SECRET", () => {
    expect(parseConfig([], {})).toMatchObject({ harborWebhookSecret: undefined });
    expect(parseConfig([], { HARBOR_WEBHOOK_SECRET: "" })).toMatchObject({ harborWebhookSecret: undefined });
    expect(parseConfig([], { HARBOR_WEBHOOK_SECRET: "s3cret" })).toMatchObject({ harborWebhookSecret: "s3cret" });
    expect(HELP).toContain("HARBOR_WEBHOOK_SECRET");
  });

  it("takes --port over PORT, and PORT over the default", () => {
    expect(parseConfig(["--port", "9000"], { PORT: "9100" })).toMatchObject({ port: 9000 });
    expect(parseConfig([], { PORT: "9100" })).toMatchObject({ port: 9100 });
  });

  it("rejects bad input with a clear message", () => {
    expect(() => parseConfig(["--port", "http"], {})).toThrow(/not a port number/);
    expect(() => parseConfig(["--services", "fleet,bogus"], { GC_INTERNAL_TOKEN: "t" })).toThrow(
      /unknown service "bogus"/,
    );
    expect(() => parseConfig(["--services", "fleet"], {})).toThrow(/GC_INTERNAL_TOKEN/);
    expect(() =>
      parseConfig(["--services", "fleet", "--remote", "fleet=http://x:1"], { GC_INTERNAL_TOKEN: "t" }),
    ).toThrow(/both served here and remote/);
    expect(() => parseConfig(["--remote", "registry=ftp://x"], { GC_INTERNAL_TOKEN: "t" })).toThrow(/not an http/);
    expect(() => parseConfig(["--tls-cert", "c.pem"], {})).toThrow(/both a certificate and a key/);
    expect(() => parseConfig(["--bogus"], {})).toThrow();
  });

  it("takes the URL satellites reach Ground Control at from --public-url or GROUND_CONTROL_URL, origin only", () => {
    expect(parseConfig([], {})).toMatchObject({ publicUrl: undefined });
    expect(parseConfig([], { GROUND_CONTROL_URL: "https://gc.example.com/" })).toMatchObject({
      publicUrl: "https://gc.example.com",
    });
    expect(
      parseConfig(["--public-url", "http://10.0.0.5:8080"], { GROUND_CONTROL_URL: "https://gc.example.com" }),
    ).toMatchObject({ publicUrl: "http://10.0.0.5:8080" });
    expect(() => parseConfig([], { GROUND_CONTROL_URL: "gc.example.com" })).toThrow(/not a URL/);
    expect(() => parseConfig([], { GROUND_CONTROL_URL: "ftp://gc.example.com" })).toThrow(/http/);
    expect(() => parseConfig([], { GROUND_CONTROL_URL: "https://gc.example.com/gc" })).toThrow(
      /only scheme, host and port/,
    );
    expect(() => parseConfig([], { GROUND_CONTROL_URL: "https://u:p@gc.example.com" })).toThrow(
      /only scheme, host and port/,
    );
  });

  it("keeps satellite states out of Harbor unless --satellite-state-in-harbor or SATELLITE_STATE_IN_HARBOR asks for it", () => {
    const inHarbor = (argv: string[], env: NodeJS.ProcessEnv) => {
      const cfg = parseConfig(argv, env);
      if (cfg === "help") throw new Error("help");
      return cfg.harbor.satelliteStateInHarbor;
    };
    expect(inHarbor([], {})).toBe(false);
    expect(inHarbor([], { SATELLITE_STATE_IN_HARBOR: "" })).toBe(false);
    for (const on of ["true", "TRUE", "1"]) expect(inHarbor([], { SATELLITE_STATE_IN_HARBOR: on }), on).toBe(true);
    for (const off of ["false", "0"]) expect(inHarbor([], { SATELLITE_STATE_IN_HARBOR: off }), off).toBe(false);
    expect(inHarbor(["--satellite-state-in-harbor"], {})).toBe(true);
    expect(inHarbor(["--satellite-state-in-harbor"], { SATELLITE_STATE_IN_HARBOR: "false" })).toBe(true);
    expect(() => parseConfig([], { SATELLITE_STATE_IN_HARBOR: "yes please" })).toThrow(
      /SATELLITE_STATE_IN_HARBOR must be true or false/,
    );
    // The process serving the registry service reads it, also when services are split.
    expect(inHarbor(["--services", "registry", "--satellite-state-in-harbor"], { GC_INTERNAL_TOKEN: "t" })).toBe(true);
    expect(HELP).toContain("--satellite-state-in-harbor");
    expect(HELP).toContain("SATELLITE_STATE_IN_HARBOR");
  });

  it("takes connection limits from flags over environment, leaving unset ones to the defaults", () => {
    const limits = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const cfg = parseConfig(argv, env);
      if (cfg === "help") throw new Error("help");
      return cfg.limits;
    };
    expect(limits([])).toEqual({});
    expect(
      limits(["--max-connections", "500", "--idle-timeout-ms", "3000"], {
        MAX_CONNECTIONS: "900",
        MAX_CONNECTIONS_PER_SOURCE: "40",
        HEADER_TIMEOUT_MS: "2000",
      }),
    ).toEqual({
      maxConnections: 500,
      maxConnectionsPerSource: 40,
      idleMs: 3000,
      headersMs: 2000,
    });
    expect(limits(["--first-byte-timeout-ms", "1500", "--request-timeout-ms", "0"])).toEqual({
      firstByteMs: 1500,
      requestMs: 0,
    });
    expect(limits([], { REQUEST_TIMEOUT_MS: "60000", IDLE_TIMEOUT_MS: "" })).toEqual({ requestMs: 60000 });
    expect(() => limits(["--idle-timeout-ms", "0"])).toThrow(
      /--idle-timeout-ms \(IDLE_TIMEOUT_MS\) must be a positive whole number/,
    );
    expect(() => limits([], { MAX_CONNECTIONS: "lots" })).toThrow(/MAX_CONNECTIONS/);
    expect(() => limits(["--max-connections", "10", "--max-connections-per-source", "20"])).toThrow(/cannot exceed/);
    for (const flag of [
      "--max-connections",
      "--max-connections-per-source",
      "--first-byte-timeout-ms",
      "--header-timeout-ms",
      "--request-timeout-ms",
      "--idle-timeout-ms",
    ])
      expect(HELP).toContain(flag);
  });

  it("splits services across processes with a shared token", () => {
    const cfg = parseConfig(["--services", "fleet,identity,heartbeat", "--remote", "registry=http://127.0.0.1:9001"], {
      GC_INTERNAL_TOKEN: "t0k",
    });
    expect(cfg).toMatchObject({
      services: ["fleet", "identity", "heartbeat"],
      remotes: { registry: "http://127.0.0.1:9001" },
      internalToken: "t0k",
    });
  });
});
