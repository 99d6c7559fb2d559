// The compose profile `observability` cannot be run here (no Docker engine, no Grafana or Tempo
// image), so this checks what `up` would wire together: every image pinned to a version, every file
// mounted from the checkout present, Prometheus's config as mounted accepted by `promtool check
// config` (rule file and satellite discovery resolved through the mounts), and the addresses each
// part uses for another one are that service on the port it listens on: Prometheus → Ground
// Control, collector → Tempo, Tempo → Prometheus, Grafana → Prometheus and Tempo, Grafana's
// dashboard provider → the mounted dashboards.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseConfig } from "@harbor-satellite/gateway";
import { DEFAULT_REGISTRY_ADDR } from "@harbor-satellite/satellite/agent";
import { loadCompose, type ComposeService } from "./compose-model.js";
import { REPO_ROOT } from "../e2e/processes.js";
import { PROMTOOL_BIN } from "../observability/prometheus.js";

const COMPOSE = join(REPO_ROOT, "docker/compose.yaml");
const ENV = { ADMIN_PASSWORD: "change-me-please", OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector:4318" };
const services = loadCompose(COMPOSE, ENV, ["dev", "observability"]);
const byName = new Map(services.map((s) => [s.name, s]));
const yamlFile = (path: string) => parse(readFileSync(path, "utf8")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The host path a service's container path comes from, through its bind mounts (folders too). */
function hostPath(svc: ComposeService, containerPath: string): string | undefined {
  for (const v of svc.volumes) {
    const [source, target] = v.split(":");
    if (!source.startsWith(".")) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`))
      return resolve(REPO_ROOT, "docker", source) + containerPath.slice(target.length);
  }
  return undefined;
}

const portOf = (url: string) => Number(new URL(url).port);

describe("docker/compose.yaml --profile observability", () => {
  const names = ["prometheus", "tempo", "otel-collector", "grafana"];

  it("runs Prometheus, Tempo, the collector and Grafana, images pinned, mounted files present", () => {
    for (const name of names) {
      const svc = byName.get(name)!;
      expect(svc, name).toBeDefined();
      expect(svc.profiles).toEqual(["observability"]);
      expect(svc.image, `${name} pinned to a version`).toMatch(/:v?\d+\.\d+\.\d+$/);
      for (const v of svc.volumes.filter((v) => v.startsWith(".")))
        expect(existsSync(resolve(REPO_ROOT, "docker", v.split(":")[0])), `${name}: ${v}`).toBe(true);
    }
    for (const svc of services)
      for (const dep of svc.dependsOn) expect(byName.has(dep), `${svc.name} depends on ${dep}`).toBe(true);
    expect(loadCompose(COMPOSE, ENV, []).map((s) => s.name)).not.toContain("grafana");
  });

  it("Prometheus's config, as mounted, passes promtool and scrapes the ground-control service on its port", () => {
    const prom = byName.get("prometheus")!;
    const configArg = prom.command!.find((a) => a.startsWith("--config.file="))!.slice("--config.file=".length);
    const config = yamlFile(hostPath(prom, configArg)!);
    const dir = mkdtempSync(join(tmpdir(), "compose-prometheus-"));
    try {
      config.rule_files = config.rule_files.map((f: string) => hostPath(prom, f));
      for (const job of config.scrape_configs)
        for (const sd of job.file_sd_configs ?? [])
          sd.files = sd.files.map(
            (f: string) => hostPath(prom, f.replace(/\/[^/]*$/, "")) + f.slice(f.lastIndexOf("/")),
          );
      writeFileSync(join(dir, "prometheus.yml"), stringify(config));
      const check = spawnSync(PROMTOOL_BIN, ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
      expect(check.stdout + check.stderr, "promtool check config").toMatch(/SUCCESS/);
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const gc = parseConfig([], byName.get("ground-control")!.environment) as Exclude<
      ReturnType<typeof parseConfig>,
      "help"
    >;
    const target = config.scrape_configs.find((j: { job_name: string }) => j.job_name === "ground-control")
      .static_configs[0].targets[0];
    expect(target).toBe(`ground-control:${gc.port}`);
    // The dev profile's satellite is listed for discovery, on the port it serves /metrics on.
    const satellites = yamlFile(join(REPO_ROOT, "observability/prometheus/satellites/dev.yml")) as unknown as Array<{
      targets: string[];
      labels: Record<string, string>;
    }>;
    // (its agent serves /metrics on its registry's port: the default, as it names none)
    expect(byName.get("satellite-dev")!.command).not.toContain("--registry-addr");
    expect(satellites[0].targets[0]).toBe(`satellite-dev:${DEFAULT_REGISTRY_ADDR.split(":")[1]}`);
    expect(Object.keys(satellites[0].labels).sort()).toEqual(["region", "satellite"]);
  });

  it("traces flow: processes → collector → Tempo; Tempo's metrics → Prometheus", () => {
    const collector = yamlFile(hostPath(byName.get("otel-collector")!, "/etc/otelcol/config.yaml")!);
    const tempo = yamlFile(hostPath(byName.get("tempo")!, "/etc/tempo/tempo.yaml")!);
    expect(byName.get("otel-collector")!.command).toEqual(["--config=/etc/otelcol/config.yaml"]);
    expect(byName.get("tempo")!.command).toEqual(["-config.file=/etc/tempo/tempo.yaml"]);
    // The processes' OTLP endpoint is the collector's HTTP receiver.
    for (const name of ["ground-control", "satellite-dev"]) {
      const endpoint = new URL(byName.get(name)!.environment.OTEL_EXPORTER_OTLP_ENDPOINT);
      expect(endpoint.hostname).toBe("otel-collector");
      expect(`0.0.0.0:${endpoint.port}`).toBe(collector.receivers.otlp.protocols.http.endpoint);
    }
    expect(collector.service.pipelines.traces.exporters).toContain("otlp/tempo");
    const [host, port] = collector.exporters["otlp/tempo"].endpoint.split(":");
    expect(host).toBe("tempo");
    expect(tempo.distributor.receivers.otlp.protocols.grpc.endpoint).toBe(`0.0.0.0:${port}`);
    const remoteWrite = new URL(tempo.metrics_generator.storage.remote_write[0].url);
    expect(remoteWrite.hostname).toBe("prometheus");
    expect(byName.get("prometheus")!.command).toContain("--web.enable-remote-write-receiver");
  });

  it("Grafana: provisioning and dashboards mounted where its provisioning files say, datasources at the services' ports", () => {
    const grafana = byName.get("grafana")!;
    const datasources = yamlFile(hostPath(grafana, "/etc/grafana/provisioning/datasources/datasources.yaml")!)
      .datasources as Array<{ uid: string; url: string }>;
    const providers = yamlFile(hostPath(grafana, "/etc/grafana/provisioning/dashboards/dashboards.yaml")!)
      .providers as Array<{ options: { path: string } }>;
    expect(hostPath(grafana, providers[0].options.path)).toBe(join(REPO_ROOT, "observability/grafana/dashboards"));
    const url = (uid: string) => new URL(datasources.find((d) => d.uid === uid)!.url);
    expect(url("prometheus").hostname).toBe("prometheus");
    expect(url("prometheus").port).toBe("9090");
    const tempo = yamlFile(hostPath(byName.get("tempo")!, "/etc/tempo/tempo.yaml")!);
    expect(url("tempo").hostname).toBe("tempo");
    expect(portOf(url("tempo").href)).toBe(tempo.server.http_listen_port);
    // The log store's address comes from LOKI_URL (Grafana expands it in provisioning files).
    expect(datasources.find((d) => d.uid === "loki")!.url).toBe("${LOKI_URL}");
    expect(grafana.environment.LOKI_URL).toMatch(/^https?:\/\//);
  });
});
