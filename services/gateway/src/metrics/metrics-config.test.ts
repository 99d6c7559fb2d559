import { describe, expect, it } from "vitest";
import { HELP, parseConfig, type GatewayConfig } from "../config.js";
import { workerIndex } from "./gateway-metrics.js";

const metricsOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => (parseConfig(argv, env) as GatewayConfig).metrics;

describe("metrics configuration", () => {
  it("serves metrics on the gateway port by default", () => {
    expect(metricsOf([])).toEqual({ enabled: true });
  });

  it("moves them to --metrics-addr (or METRICS_ADDR), flag first", () => {
    expect(metricsOf(["--metrics-addr", "127.0.0.1:9464"])).toEqual({
      enabled: true,
      addr: { host: "127.0.0.1", port: 9464 },
    });
    expect(metricsOf([], { METRICS_ADDR: ":9090" })).toEqual({ enabled: true, addr: { host: "0.0.0.0", port: 9090 } });
    expect(metricsOf(["--metrics-addr", "[::1]:9464"], { METRICS_ADDR: ":9090" })).toEqual({
      enabled: true,
      addr: { host: "::1", port: 9464 },
    });
    expect(() => metricsOf(["--metrics-addr", "9464"])).toThrow(/--metrics-addr \(METRICS_ADDR\) must be HOST:PORT/);
    expect(HELP).toMatch(/--metrics-addr HOST:PORT/);
  });

  it("turns them off with --no-metrics or METRICS_ENABLED=false", () => {
    expect(metricsOf(["--no-metrics", "--metrics-addr", ":9090"])).toEqual({ enabled: false });
    expect(metricsOf([], { METRICS_ENABLED: "false" })).toEqual({ enabled: false });
    expect(metricsOf([], { METRICS_ENABLED: "" })).toEqual({ enabled: true });
    expect(() => metricsOf([], { METRICS_ENABLED: "maybe" })).toThrow(/METRICS_ENABLED must be true or false/);
  });

  it("knows its place among --workers from GC_WORKER_INDEX", () => {
    expect(workerIndex({})).toBe(0);
    expect(workerIndex({ GC_WORKER_INDEX: "2" })).toBe(2);
    expect(workerIndex({ GC_WORKER_INDEX: "x" })).toBe(0);
  });
});
