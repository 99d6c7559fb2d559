// The observability kit against real components. A workload (Ground Control on PostgreSQL, the
// Harbor emulator before docker-registry, two satellites enrolling, replicating and heartbeating,
// one image Harbor lacks) runs with a real Prometheus scraping it with the project's own
// prometheus.yml and alerts.yml. Every PromQL expression of every dashboard panel and every alert
// rule is evaluated through Prometheus's HTTP API: each must parse and return data, except those
// marked `"troubleOnly": true` (and the alerts), which must return data once the test causes the
// trouble: a satellite stopped, an upstream blob corrupted, Harbor stopped. The dashboards are
// checked against Grafana's schema (@grafana/schema) and the provisioned datasource uids, the rules
// with `promtool check rules`, and every span name and attribute a TraceQL query names must appear
// in the traces the same workload exported.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT, eventually, GiveUp } from "../e2e/processes.js";
import {
  asGrafanaSendsIt,
  datasourceUids,
  labelValueQueries,
  loadDashboards,
  promTargets,
  schemaDiagnostics,
  traceQlQueries,
  traceQlRefs,
} from "./dashboards.js";
import { promtoolCheckRules, startPrometheus, type Prometheus } from "./prometheus.js";
import { spanCatalogue, startOtlpReceiver, type OtlpReceiver } from "@harbor-satellite/testkit/otlp-receiver";
import { startWorkload, type Workload } from "./workload.js";

const OBS = join(REPO_ROOT, "observability");
const RULES_FILE = join(OBS, "prometheus/alerts.yml");
const dashboards = loadDashboards();
const alerts = (
  parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
).groups.flatMap((g) => g.rules);
const expressions = [
  ...dashboards.flatMap(promTargets).map((t) => ({ ...t, expr: asGrafanaSendsIt(t.expr) })),
  ...alerts.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr, troubleOnly: true })),
];

describe("observability: dashboards and alerts against a real Prometheus, traces against TraceQL", () => {
  let receiver: OtlpReceiver;
  let workload: Workload;
  let prom: Prometheus;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    workload = await startWorkload(receiver.url);
    prom = await startPrometheus({
      configFile: join(OBS, "prometheus/prometheus.yml"),
      rulesFile: RULES_FILE,
      groundControl: new URL(workload.gcUrl).host,
      satellites: workload.satellites.map((s) => ({
        address: `127.0.0.1:${s.port}`,
        satellite: s.name,
        region: s.region,
      })),
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await workload?.stop();
    await receiver?.stop();
  });

  /** Evaluates every expression; returns those with no data, throws GiveUp on one Prometheus refuses. */
  async function empty(list: typeof expressions): Promise<string[]> {
    const out: string[] = [];
    for (const e of list) {
      const r = await prom.query(e.expr);
      if (r.status !== "success") throw new GiveUp(`${e.where}: Prometheus refuses ${e.expr}: ${r.error}`);
      if (!r.data?.result.length) out.push(`${e.where}: ${e.expr}`);
    }
    return out;
  }

  it("promtool accepts the rules; the dashboards match Grafana's schema and name only provisioned datasources", () => {
    const rules = promtoolCheckRules(RULES_FILE);
    expect(rules.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(rules.status).toBe(0);
    expect(schemaDiagnostics(dashboards)).toEqual([]);
    // The check can fail: a misspelt key; a string for a number; a value outside a panel option's enum.
    const [misspelt, mistyped] = [structuredClone(dashboards[0]), structuredClone(dashboards[1])];
    Object.assign(misspelt.json, { refreshInterval: "30s" });
    Object.assign(mistyped.json, { graphTooltip: "shared" });
    Object.assign(mistyped.json.panels[0].options!, {
      legend: { ...(mistyped.json.panels[0].options!.legend as object), placement: "middle" },
    });
    const caught = schemaDiagnostics([misspelt, mistyped]).join("\n");
    for (const expected of ["refreshInterval\"' does not exist", "DashboardCursorSync", '"middle"'])
      expect(caught).toContain(expected);
    const provisioned = (
      parse(readFileSync(join(OBS, "grafana/provisioning/datasources/datasources.yaml"), "utf8")) as {
        datasources: Array<{ uid: string; type: string; jsonData?: Record<string, { datasourceUid?: string }> }>;
      }
    ).datasources;
    const uids = new Set(provisioned.map((d) => d.uid));
    for (const d of dashboards)
      for (const uid of datasourceUids(d)) expect(uids, `${d.file} names datasource ${uid}`).toContain(uid);
    // Cross-links between datasources (traces to logs and metrics, exemplars, service map) too.
    for (const ds of provisioned)
      for (const [key, value] of Object.entries(ds.jsonData ?? {}))
        if (value?.datasourceUid) expect(uids, `${ds.uid}.${key}`).toContain(value.datasourceUid);
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
    expect(dashboards.map((d) => d.file)).toEqual([
      "fleet.json",
      "ground-control.json",
      "satellite.json",
      "traces.json",
    ]);
  });

  it("while all is well, every dashboard expression returns data (the trouble-only ones and the alerts parse)", async () => {
    // One refused call (an admin's typo), so the refusals panel has something to show.
    await expect(workload.admin.fleet.getSatellite({ satellite: "edge-typo" })).rejects.toThrow(/not found|not_found/i);
    const normal = expressions.filter((e) => !e.troubleOnly);
    expect(normal.length).toBeGreaterThan(40);
    await eventually(
      async () => {
        workload.assertRunning();
        const missing = await empty(normal);
        if (missing.length) throw new Error(`no data yet for ${missing.length}:\n${missing.join("\n")}`);
      },
      150_000,
      "data for every expression",
    );
    await empty(expressions.filter((e) => e.troubleOnly));
    for (const d of dashboards) {
      for (const v of labelValueQueries(d)) {
        const r = await prom.query(v.selector);
        expect(r.data?.result.map((s) => s.metric[v.label]).filter(Boolean).length, v.where).toBeGreaterThan(0);
      }
    }
    const { groups } = await prom.api<{
      groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>;
    }>("/api/v1/rules");
    const loaded = groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(alerts.map((a) => a.alert).sort());
    for (const r of loaded) expect(r.health, `${r.name}: ${r.lastError}`).not.toBe("err");
  }, 240_000);

  it("in trouble (a satellite stopped, an upstream blob corrupted, Harbor stopped), the trouble-only expressions and every alert return data", async () => {
    await workload.stopSatellite("edge-2");
    await workload.corruptUpstreamBlob();
    // edge-1 fetches the corrupted layer and refuses it before Harbor goes.
    await eventually(
      async () => {
        workload.assertRunning();
        const r = await prom.query(
          'satellite_replication_image_failures_total{satellite="edge-1", error_type="digest_mismatch"}',
        );
        if (!r.data?.result.length) throw new Error("no digest_mismatch counted yet");
      },
      60_000,
      "edge-1 refusing the corrupted blob",
    );
    await workload.admin.fleet.createSatellite({ satellite: "edge-late", region: "eu-west", config: "fast" });
    const { token } = await workload.admin.identity.issueZtrToken({ satellite: "edge-late" });
    await workload.emu.stop();
    // Outbox work Harbor cannot take; enrolments it cannot serve (a new satellite's agent, retrying).
    await workload.admin.fleet.updateGroup({ group: "web", artifacts: [{ repository: "apps/nginx", tags: ["1.27"] }] });
    await workload.startSatellite("edge-3", "eu-west");
    const trouble = expressions.filter((e) => e.troubleOnly);
    await eventually(
      async () => {
        workload.assertRunning();
        // A satellite retrying its enrolment (refused with Unavailable, the token kept), and a health
        // check, which looks at Harbor when its last look is over 5 s old.
        await workload.admin.identity.tokenZtr({ token }).catch(() => undefined);
        await fetch(`${workload.gcUrl}/healthz`).catch(() => undefined);
        const missing = await empty(trouble);
        if (missing.length) throw new Error(`no data yet for ${missing.length}:\n${missing.join("\n")}`);
      },
      150_000,
      "data for every trouble-only expression and alert",
    );
    // Prometheus's own rule evaluation agrees: every alert pending (waiting out its `for:`) or firing.
    await eventually(
      async () => {
        const { groups } = await prom.api<{ groups: Array<{ rules: Array<{ name: string; state: string }> }> }>(
          "/api/v1/rules",
        );
        const quiet = groups.flatMap((g) => g.rules).filter((r) => r.state !== "pending" && r.state !== "firing");
        if (quiet.length) throw new Error(`inactive: ${quiet.map((r) => r.name).join(", ")}`);
      },
      30_000,
      "every alert pending or firing",
    );
    // (deadlines, not expectations: on a loaded machine the gauges' caches and the outbox's 30 s take longer)
  }, 300_000);

  it("every span name and attribute the TraceQL queries name was exported by the workload", async () => {
    const queries = dashboards.flatMap(traceQlQueries);
    expect(queries.length).toBeGreaterThan(10);
    await eventually(
      async () => {
        const problems: string[] = [];
        const seen = spanCatalogue(receiver.spans);
        for (const { where, query } of queries) {
          const refs = traceQlRefs(query);
          for (const name of refs.names) if (!seen.names.has(name)) problems.push(`${where}: no span named ${name}`);
          for (const re of refs.nameRegexes)
            if (![...seen.names].some((n) => new RegExp(`^(?:${re})$`).test(n)))
              problems.push(`${where}: no span name matches ${re}`);
          // With one span name, its attributes must be on spans of that name.
          const keys =
            refs.names.length === 1 && !refs.nameRegexes.length
              ? (seen.attributesByName.get(refs.names[0]) ?? new Set())
              : seen.attributes;
          for (const attr of refs.span)
            if (!keys.has(attr))
              problems.push(
                `${where}: no span attribute ${attr}${keys === seen.attributes ? "" : ` on ${refs.names[0]}`}`,
              );
          // The only resource attribute the processes set is service.name.
          for (const attr of refs.resource)
            if (attr !== "service.name") problems.push(`${where}: no resource attribute ${attr}`);
          for (const service of refs.services)
            if (!seen.services.has(service)) problems.push(`${where}: no spans from service ${service}`);
        }
        if (problems.length) throw new Error(problems.join("\n"));
      },
      30_000,
      "every TraceQL name and attribute seen",
    );
  });
});
