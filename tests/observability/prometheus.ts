// A real Prometheus (Debian's `prometheus`) on a loopback port, configured from the project's own
// observability/prometheus/prometheus.yml: the same jobs and rule file, with the targets of the
// test's processes, a 1 s scrape and evaluation interval, and the satellites' file discovery
// pointed at a file the test writes (same format as observability/prometheus/satellites/*.yml).
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePort } from "@harbor-satellite/testkit";
import { eventually, GiveUp } from "../e2e/processes.js";

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";

export interface SatelliteTarget {
  address: string;
  satellite: string;
  region: string;
}

export interface QueryResult {
  status: "success" | "error";
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string] }> };
}

export interface Prometheus {
  url: string;
  query(expr: string): Promise<QueryResult>;
  /** GET an API path (e.g. /api/v1/rules) and return its `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

interface ScrapeConfig {
  job_name: string;
  static_configs?: Array<{ targets: string[] }>;
  file_sd_configs?: Array<{ files: string[] }>;
}

export async function startPrometheus(options: {
  configFile: string;
  rulesFile: string;
  groundControl: string;
  satellites: SatelliteTarget[];
}): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), "hs-prometheus-"));
  const config = parse(readFileSync(options.configFile, "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.global = { ...config.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" };
  config.rule_files = [options.rulesFile];
  const satellitesFile = join(dir, "satellites.yml");
  for (const job of config.scrape_configs) {
    if (job.job_name === "ground-control") job.static_configs = [{ targets: [options.groundControl] }];
    else if (job.job_name === "satellite") job.file_sd_configs = [{ files: [satellitesFile] }];
    else throw new Error(`unexpected job ${job.job_name} in ${options.configFile}`);
  }
  await writeFile(
    satellitesFile,
    stringify(
      options.satellites.map((s) => ({ targets: [s.address], labels: { satellite: s.satellite, region: s.region } })),
    ),
  );
  const configPath = join(dir, "prometheus.yml");
  await writeFile(configPath, stringify(config));
  const check = spawnSync(PROMTOOL_BIN, ["check", "config", configPath], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`promtool check config: ${check.stdout}${check.stderr}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
      "--storage.tsdb.retention.time=1h",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (proc.exitCode !== null) throw new GiveUp(`prometheus exited with ${proc.exitCode}: ${stderr}`);
        const res = await fetch(`${url}/-/ready`);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      },
      60_000,
      "prometheus ready",
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: expr }),
      });
      return (await res.json()) as QueryResult;
    },
    async api<T>(path: string) {
      const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; data: T; error?: string };
      if (body.status !== "success") throw new Error(`${path}: ${body.error}`);
      return body.data;
    },
    stop,
  };
}

/** `promtool check rules FILE`: its exit code and output. */
export function promtoolCheckRules(file: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL_BIN, ["check", "rules", file], { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
