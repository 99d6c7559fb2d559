// Metrics end to end, every part real: PostgreSQL, docker-registry behind the Harbor emulator, a
// `ground-control` process and a `satellite` agent process. The admin sets up a group of two
// images (and one Harbor lacks), the satellite enrols with a token, replicates, heartbeats and
// serves; then both /metrics endpoints are scraped over HTTP, checked by `promtool check metrics`
// (Prometheus's own parser and linter) and their series asserted: names, label values, counts
// above zero, histogram buckets consistent with their counts.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";
import { createRegistryClient, type RegistryClient } from "@harbor-satellite/oci";
import { freePort } from "@harbor-satellite/testkit";
import { createEdgeSite, startSatelliteProcess, type AdminClients } from "./agent-helpers.js";
import { startFleetStack, type FleetStack } from "./fleet-stack.js";
import { eventually, GiveUp, type RunningProcess } from "./processes.js";
import { scrape, type Exposition } from "./prometheus-text.js";

const ADMIN_PASSWORD = "e2e-metrics-admin-password";

/** Every histogram family's +Inf bucket equals its _count, per label set. */
function expectConsistentHistograms(metrics: Exposition): void {
  for (const [family, type] of metrics.types) {
    if (type !== "histogram") continue;
    for (const count of metrics.find(`${family}_count`)) {
      const inf = metrics.find(`${family}_bucket`, { ...count.labels, le: "+Inf" });
      expect(inf, `${family} ${JSON.stringify(count.labels)}`).toHaveLength(1);
      expect(inf[0].value).toBe(count.value);
    }
  }
}

describe("metrics, end to end", () => {
  let stack: FleetStack;
  let sat: RunningProcess | undefined;
  let gcUrl: string;
  let emuUrl: string;
  let admin: AdminClients;
  let satPort: number;
  let local: RegistryClient;

  beforeAll(async () => {
    stack = await startFleetStack({
      name: "metrics-e2e",
      project: "apps",
      images: ["apps/nginx:1.27", "apps/alpine:3.20"],
      adminPassword: ADMIN_PASSWORD,
    });
    ({ gcUrl, admin } = stack);
    emuUrl = stack.emu.url;
    satPort = await freePort();
    local = createRegistryClient({ url: `http://127.0.0.1:${satPort}`, retry: { attempts: 1 } });

    await createEdgeSite(admin, {
      satellite: "edge-1",
      group: "web",
      artifacts: [
        { repository: "apps/nginx", tags: ["1.27"] },
        { repository: "apps/alpine", tags: ["3.20"] },
        { repository: "apps/missing", tags: ["1"] },
      ],
    });
    const { token } = await admin.identity.issueZtrToken({ satellite: "edge-1" });
    // The state artifacts are published by the outbox; the satellite retries until they are.
    sat = startSatelliteProcess({
      gcUrl,
      dataDir: join(stack.work, "satellite"),
      registryPort: satPort,
      args: ["--token", token],
      env: { LOG_LEVEL: "warn" },
    });
    const running = sat;
    await eventually(
      async () => {
        if (running.proc.exitCode !== null)
          throw new GiveUp(`satellite exited with ${running.proc.exitCode}: ${running.output()}`);
        const served = await Promise.all([
          local.headManifest("apps/nginx", "1.27"),
          local.headManifest("apps/alpine", "3.20"),
        ]);
        if (served.some((m) => !m)) throw new Error("images not served yet");
        const { status } = await admin.heartbeat.getSatelliteStatus({ satellite: "edge-1" });
        if (status?.health !== Health.ONLINE || !status.latest?.errors.length)
          throw new Error("no heartbeat reporting the pass yet");
      },
      120_000,
      "both images served and a heartbeat reporting the pass",
    );
  });

  afterAll(async () => {
    local?.close();
    await sat?.stop();
    await stack?.stop();
  });

  it("Ground Control's /metrics: rpcs, heartbeat ingest, the fleet, the outbox, Harbor, the database, enrolment", async () => {
    const sync = "harbor.satellite.heartbeat.v1.HeartbeatService/Sync";
    const metrics = await eventually(
      async () => {
        const m = await scrape(`${gcUrl}/metrics`);
        // The health gauge is counted at collection and kept 15 s: wait for a count with the satellite online.
        if (m.sum("ground_control_satellites_health", { satellite_health: "online" }) !== 1)
          throw new Error("the satellite is not counted online yet");
        return m;
      },
      60_000,
      "Ground Control counting the satellite online",
    );
    expectConsistentHistograms(metrics);
    expect(metrics.types.get("rpc_server_call_duration_seconds")).toBe("histogram");
    // The satellite heartbeats over Connect; the admin calls went through the same interceptor.
    expect(
      metrics.sum("rpc_server_call_duration_seconds_count", {
        rpc_system_name: "connectrpc",
        rpc_method: sync,
        rpc_status_code: "ok",
      }),
    ).toBeGreaterThan(0);
    expect(metrics.find("rpc_server_call_duration_seconds_bucket", { rpc_method: sync, le: "0.005" })).toHaveLength(1);
    expect(
      metrics.sum("rpc_server_call_duration_seconds_count", {
        rpc_method: "harbor.satellite.fleet.v1.FleetService/CreateGroup",
      }),
    ).toBe(1);
    expect(
      metrics.sum("rpc_server_call_duration_seconds_count", {
        rpc_method: "harbor.satellite.identity.v1.IdentityService/TokenZtr",
        rpc_status_code: "ok",
      }),
    ).toBe(1);
    expect(metrics.sum("ground_control_ztr_enrolments_total", { ztr_mode: "token", outcome: "success" })).toBe(1);
    // Heartbeats through the group commit.
    expect(metrics.sum("ground_control_heartbeat_ingested_total", { outcome: "committed" })).toBeGreaterThan(0);
    expect(metrics.sum("ground_control_heartbeat_batch_size_count")).toBeGreaterThan(0);
    expect(metrics.sum("ground_control_heartbeat_ingest_lag_seconds_count")).toBe(
      metrics.sum("ground_control_heartbeat_ingested_total", { outcome: "committed" }),
    );
    expect(metrics.find("ground_control_heartbeat_ingest_queued")).toHaveLength(1);
    // The fleet by health and by drift (one satellite, one verdict).
    expect(metrics.sum("ground_control_satellites_health")).toBe(1);
    expect(
      metrics
        .find("ground_control_satellites_drift")
        .map((s) => s.labels.satellite_drift)
        .sort(),
    ).toEqual(["converging", "failing", "in_sync", "never_seen", "stale"]);
    expect(metrics.sum("ground_control_satellites_drift")).toBe(1);
    // The outbox: every kind reported, the work done counted.
    expect(
      metrics
        .find("ground_control_outbox_depth")
        .map((s) => s.labels.outbox_kind)
        .sort(),
    ).toEqual(["publish-config-state", "publish-group-state", "publish-satellite-state", "sync-robot"]);
    expect(metrics.find("ground_control_outbox_oldest_age_seconds")).toHaveLength(4);
    expect(
      metrics.sum("ground_control_outbox_jobs_total", { outbox_kind: "publish-group-state", outcome: "published" }),
    ).toBeGreaterThan(0);
    // Harbor calls per operation (the emulator's port), and the database on PostgreSQL.
    const harborPort = new URL(emuUrl).port;
    expect(
      metrics.sum("http_client_request_duration_seconds_count", {
        harbor_operation: "CreateRobot",
        server_port: harborPort,
        http_response_status_code: "201",
      }),
    ).toBe(1);
    expect(
      metrics.sum("db_client_operation_duration_seconds_count", {
        db_system_name: "postgresql",
        db_operation_name: "INSERT",
      }),
    ).toBeGreaterThan(0);
    expect(metrics.sum("db_client_connection_max", { db_client_connection_pool_name: "ground-control" })).toBe(20);
    expect(metrics.find("target_info", { service_name: "ground-control" })).toHaveLength(1);
  });

  it("the satellite's /metrics on its registry port: replication, failures by reason, the store, heartbeats, registry requests", async () => {
    const metricsUrl = `http://127.0.0.1:${satPort}/metrics`;
    const metrics = await eventually(
      async () => {
        const m = await scrape(metricsUrl);
        if (m.sum("satellite_heartbeats_total", { outcome: "ok" }) === 0) throw new Error("no heartbeat counted yet");
        return m;
      },
      60_000,
      "the satellite counting a heartbeat",
    );
    expectConsistentHistograms(metrics);
    expect(metrics.sum("satellite_replication_bytes_total")).toBeGreaterThan(2 * (72 << 10));
    expect(metrics.sum("satellite_replication_blobs_total", { outcome: "copied" })).toBeGreaterThanOrEqual(6);
    expect(metrics.find("satellite_replication_blobs_total", { outcome: "skipped" })).toHaveLength(1);
    // apps/missing is in the group but not in Harbor: every pass is partial, for that reason.
    expect(metrics.sum("satellite_replication_pass_duration_seconds_count", { outcome: "partial" })).toBeGreaterThan(0);
    expect(
      metrics.sum("satellite_replication_image_failures_total", { error_type: "MANIFEST_UNKNOWN" }),
    ).toBeGreaterThan(0);
    expect(metrics.sum("satellite_upstream_reachable", { server_address: new URL(emuUrl).host })).toBe(1);
    expect(metrics.find("satellite_replication_last_success_age_seconds")).toHaveLength(1);
    expect(metrics.sum("satellite_store_size_bytes")).toBeGreaterThan(2 * (72 << 10));
    expect(metrics.sum("satellite_store_blobs")).toBeGreaterThanOrEqual(6);
    expect(metrics.sum("satellite_store_repositories")).toBe(2);
    // Our own HEADs above went through the registry, measured by route template.
    expect(
      metrics.sum("http_server_request_duration_seconds_count", {
        http_request_method: "HEAD",
        http_route: "/v2/{name}/manifests/{reference}",
        http_response_status_code: "200",
      }),
    ).toBeGreaterThan(0);
    expect(metrics.text).not.toContain("apps/nginx");
    expect(metrics.find("target_info", { service_name: "satellite" })).toHaveLength(1);
  });
});
