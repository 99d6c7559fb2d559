import { describe, expect, expectTypeOf, it } from "vitest";
import { DEFAULT_LOCAL_REGISTRY_URL, type SATELLITE_CONFIG_SCHEMA } from "./schema.js";
import type { AppConfig, SatelliteConfig, SatelliteConfigDocument } from "./types.js";
import { formatConfigIssues, isRegistryAddress, validateSatelliteConfig } from "./validate.js";

const issues = (document: unknown) => {
  const verdict = validateSatelliteConfig(document);
  return verdict.ok ? [] : verdict.issues;
};

describe("validateSatelliteConfig", () => {
  it("fills every default into a copy, leaving the document as it was", () => {
    const document = { app_config: { log_level: "debug", metrics: { collect_cpu: false } } };
    const verdict = validateSatelliteConfig(document);
    expect(document).toEqual({ app_config: { log_level: "debug", metrics: { collect_cpu: false } } });
    if (!verdict.ok) throw new Error(formatConfigIssues(verdict.issues));
    expect(verdict.config.app_config.metrics).toEqual({
      collect_cpu: false,
      collect_memory: true,
      collect_storage: true,
    });
    expect(verdict.config.app_config.local_registry.url).toBe(DEFAULT_LOCAL_REGISTRY_URL);
    expect(verdict.config.state_config).toEqual({ auth: { url: "", username: "", password: "" }, state: "" });
    expect(verdict.config.app_config.audit).toBeUndefined();
    expect(verdict.config.zot_config).toBeUndefined();
  });

  it("gives each list default its own copy", () => {
    const a = validateSatelliteConfig({});
    const b = validateSatelliteConfig({});
    if (!a.ok || !b.ok) throw new Error("refused");
    a.config.app_config.registry_fallback.registries.push("quay.io");
    expect(b.config.app_config.registry_fallback.registries).toEqual(["docker.io"]);
  });

  it("reports every problem once, with its path", () => {
    expect(issues({ app_config: { tls: { cert_file: "/c" }, registry_fallback: { runtimes: ["rkt"] } } })).toEqual([
      { path: "app_config.tls.key_file", message: "required when cert_file is set" },
      {
        path: "app_config.registry_fallback.runtimes[0]",
        message: 'expected one of "containerd", "docker", "crio", "podman", got "rkt"',
      },
    ]);
    expect(issues("{}")).toEqual([{ path: "(root)", message: "expected a JSON object" }]);
    expect(issues({ app_config: { tls: { cert_file: "/c", key_file: "" } } })).toEqual([
      { path: "app_config.tls.key_file", message: "required when cert_file is set" },
    ]);
  });

  it("says what a list too short needs instead of ajv's 'must NOT have fewer than 1 items'", () => {
    expect(
      issues({ app_config: { sync_policy: { windows: [{ days: [], start: "01:00", duration: "1h" }] } } }),
    ).toEqual([
      {
        path: "app_config.sync_policy.windows[0].days",
        message: "expected at least one day the window starts on (sun, mon, tue, wed, thu, fri, sat)",
      },
    ]);
  });

  it("reads registry addresses with or without a scheme, never with credentials", () => {
    for (const address of ["harbor.example.com", "harbor.example.com:8443", "http://10.0.0.1:5000", "https://h/sub"])
      expect(isRegistryAddress(address), address).toBe(true);
    for (const address of ["https://user:pw@h", "ftp://h", "http://"])
      expect(isRegistryAddress(address), address).toBe(false);
  });

  it("derives its types from the schema", () => {
    expectTypeOf<AppConfig["log_level"]>().toEqualTypeOf<
      (typeof SATELLITE_CONFIG_SCHEMA.properties.app_config.properties.log_level.enum)[number]
    >();
    expectTypeOf<SatelliteConfig["app_config"]["registry_fallback"]["registries"]>().toEqualTypeOf<string[]>();
    expectTypeOf<SatelliteConfig["zot_config"]>().toEqualTypeOf<Record<string, unknown> | undefined>();
    expectTypeOf<NonNullable<SatelliteConfigDocument["app_config"]>["use_unsecure"]>().toEqualTypeOf<
      boolean | undefined
    >();
  });
});
