// The provisioned Grafana dashboards as the tests read them: every PromQL target (with the
// `troubleOnly` marker), every TraceQL query (Tempo targets and the data links that open Tempo),
// the names and attributes a TraceQL query uses, and a check against Grafana's own schema.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "../e2e/processes.js";

export const DASHBOARD_DIR = join(REPO_ROOT, "observability/grafana/dashboards");

type Json = Record<string, unknown>;
export interface DashboardFile {
  file: string;
  json: Json & { uid: string; title: string; panels: Panel[]; templating?: { list?: Json[] } };
}
interface Panel extends Json {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<Json & { refId: string; datasource?: { type: string; uid: string } }>;
  fieldConfig?: { defaults: { links?: Array<{ title: string; url: string }> } };
  panels?: Panel[];
  options?: Json;
}

export interface PromTarget {
  where: string;
  expr: string;
  troubleOnly: boolean;
}

export function loadDashboards(): DashboardFile[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({
      file,
      json: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), "utf8")) as DashboardFile["json"],
    }));
}

export function panelsOf(d: DashboardFile): Panel[] {
  return d.json.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every datasource uid the dashboard names (panels, targets, variables). */
export function datasourceUids(d: DashboardFile): Set<string> {
  const uids = new Set<string>();
  for (const p of panelsOf(d))
    for (const ds of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) if (ds?.uid) uids.add(ds.uid);
  for (const v of d.json.templating?.list ?? [])
    if ((v.datasource as { uid?: string } | undefined)?.uid) uids.add((v.datasource as { uid: string }).uid);
  return uids;
}

export function promTargets(d: DashboardFile): PromTarget[] {
  return panelsOf(d).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => (t.datasource ?? p.datasource)?.type === "prometheus")
      .map((t) => ({
        where: `${d.file} "${p.title}" ${t.refId}`,
        expr: String(t.expr),
        troubleOnly: t.troubleOnly === true,
      })),
  );
}

/** The variables' `label_values(selector, label)` queries. */
export function labelValueQueries(d: DashboardFile): Array<{ where: string; selector: string; label: string }> {
  return (d.json.templating?.list ?? []).flatMap((v) => {
    const query = typeof v.query === "object" && v.query ? (v.query as { query?: string }).query : v.query;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(String(query ?? ""));
    return m ? [{ where: `${d.file} variable ${String(v.name)}`, selector: m[1], label: m[2] }] : [];
  });
}

/**
 * A target's expression as Grafana sends it, for a 1 s scrape: `$__rate_interval` at least four
 * scrapes, template variables (all of them `.*` when "All" is chosen) as All.
 */
export function asGrafanaSendsIt(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "20s")
    .replaceAll("$__interval", "5s")
    .replace(/\$(region|satellite)\b/g, ".*");
}

/** TraceQL: Tempo targets' queries and the queries of data links that open Tempo in Explore. */
export function traceQlQueries(d: DashboardFile): Array<{ where: string; query: string }> {
  const out: Array<{ where: string; query: string }> = [];
  for (const p of panelsOf(d)) {
    for (const t of p.targets ?? [])
      if ((t.datasource ?? p.datasource)?.type === "tempo")
        out.push({ where: `${d.file} "${p.title}"`, query: String(t.query) });
    for (const link of p.fieldConfig?.defaults.links ?? []) {
      const left = new URL(link.url, "http://grafana").searchParams.get("left");
      if (!left) continue;
      const state = JSON.parse(left) as { queries: Array<{ query: string; datasource?: { type: string } }> };
      for (const q of state.queries)
        if (q.datasource?.type === "tempo")
          out.push({ where: `${d.file} "${p.title}" link "${link.title}"`, query: q.query });
    }
  }
  return out;
}

/** The span names (exact and regular expressions), the span and resource attributes and the services a TraceQL query names. */
export function traceQlRefs(query: string): {
  names: string[];
  nameRegexes: string[];
  span: string[];
  resource: string[];
  services: string[];
} {
  // `name`, the intrinsic, not the tail of an attribute such as `resource.service.name`.
  const names = [...query.matchAll(/(?<![\w.])name\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
  const nameRegexes = [...query.matchAll(/(?<![\w.])name\s*=~\s*"([^"]*)"/g)].map((m) => m[1]);
  const span = [...query.matchAll(/\bspan\.([A-Za-z0-9_.]+[A-Za-z0-9_])/g)].map((m) => m[1]);
  const resource = [...query.matchAll(/\bresource\.([A-Za-z0-9_.]+[A-Za-z0-9_])/g)].map((m) => m[1]);
  const services = [...query.matchAll(/\bresource\.service\.name\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
  return { names, nameRegexes, span, resource, services };
}

const PANEL_OPTIONS: Record<string, string> = {
  timeseries: "TimeSeriesPanelCfg",
  stat: "StatPanelCfg",
  bargauge: "BarGaugePanelCfg",
  table: "TablePanelCfg",
};

/**
 * Type-checks each dashboard against `Dashboard` from @grafana/schema (Grafana's schema, generated
 * from its CUE definitions) and each panel's options against its panel plugin's `Options`, as
 * object literals, so unknown keys, missing required keys and wrong values are errors. Enum-typed
 * fields take the enum's string values, as JSON spells them. Returns the compiler's diagnostics.
 */
export function schemaDiagnostics(dashboards: DashboardFile[]): string[] {
  const lines = [
    `import type { Dashboard } from "@grafana/schema";`,
    ...Object.entries(PANEL_OPTIONS).map(
      ([type, cfg]) =>
        `import type { Options as ${type}Options } from "@grafana/schema/dist/esm/raw/composable/${type}/panelcfg/x/${cfg}_types.gen";`,
    ),
    "type Json<T> = T extends string ? `${T}` : T extends ReadonlyArray<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;",
  ];
  dashboards.forEach((d, i) => {
    lines.push(`// ${d.file}`, `export const dashboard${i}: Json<Dashboard> = ${JSON.stringify(d.json)};`);
    for (const p of panelsOf(d)) {
      if (!PANEL_OPTIONS[p.type])
        throw new Error(`${d.file} "${p.title}": no options type known for panel type ${p.type}`);
      lines.push(
        `// ${d.file} "${p.title}"`,
        `export const options${i}_${p.id}: Json<${p.type}Options> = ${JSON.stringify(p.options)};`,
      );
    }
  });
  const fileName = join(REPO_ROOT, "tests/observability/__dashboards_check__.ts");
  const source = lines.join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, lang) : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const where =
      diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start) : undefined;
    const context = where ? (lines[where.line - 1] ?? "") : "";
    return `${context.startsWith("//") ? context.slice(3) : ""}: ${ts.flattenDiagnosticMessageText(diag.messageText, "\n")}`;
  });
}
