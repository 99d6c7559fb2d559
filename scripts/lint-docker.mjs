// Lints what cannot run here (no Docker engine): Dockerfiles with dockerfile-utils' validator,
// compose and collector YAML by parsing them and checking the keys we rely on.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { parse } from "yaml";

let problems = 0;
const report = (file, message) => {
  problems++;
  console.error(`${file}: ${message}`);
};

for (const name of readdirSync("docker").filter((f) => f === "Dockerfile" || f.endsWith(".Dockerfile"))) {
  const file = `docker/${name}`;
  const text = readFileSync(file, "utf8");
  for (const d of validate(text)) report(file, `line ${d.range.start.line + 1}: ${d.message}`);
  checkImage(file, text);
}

/** The instructions of a Dockerfile, continuation lines joined, grouped by stage. */
function stagesOf(text) {
  const stages = [];
  for (const line of text.replace(/\\\n/g, " ").split("\n")) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "FROM") stages.push({ from: m[2], instructions: [] });
    else stages.at(-1)?.instructions.push({ op: m[1], args: m[2] });
  }
  return stages;
}

/**
 * What no Docker engine here can prove by building: every path the image copies from the build
 * context exists, and the final stage runs the bundle, as a non-root user, with a health check.
 */
function checkImage(file, text) {
  const stages = stagesOf(text);
  for (const stage of stages) {
    for (const { op, args } of stage.instructions) {
      if ((op !== "COPY" && op !== "ADD") || args.includes("--from=")) continue;
      const sources = args
        .split(/\s+/)
        .filter((a) => !a.startsWith("--"))
        .slice(0, -1);
      for (const source of sources)
        if (!existsSync(source)) report(file, `${op} ${source}: no such path in the build context`);
    }
  }
  const final = stages.at(-1);
  const all = (op) => final?.instructions.filter((i) => i.op === op).map((i) => i.args) ?? [];
  if (!all("USER").some((u) => u && u !== "root" && u !== "0"))
    report(file, "the final stage must run as a non-root USER");
  if (!all("HEALTHCHECK").length) report(file, "the final stage has no HEALTHCHECK");
  if (!all("ENV").some((e) => /HARBOR_SATELLITE_RUN=bundle/.test(e)))
    report(file, "the final stage must set HARBOR_SATELLITE_RUN=bundle, so the bundle (not tsx) runs");
  if (!all("ENTRYPOINT").some((e) => e.includes("/app/bin/${COMPONENT}.mjs")))
    report(file, "the ENTRYPOINT must run /app/bin/${COMPONENT}.mjs");
  if (!text.includes("npm run build") || !text.includes("scripts/build/assemble-runtime.mjs"))
    report(file, "the build stage must run npm run build and scripts/build/assemble-runtime.mjs (what CI checks)");
  if (!/npm ci --omit=dev/.test(text)) report(file, "the runtime install must be npm ci --omit=dev");
}

const compose = parse(readFileSync("docker/compose.yaml", "utf8"));
for (const [name, svc] of Object.entries(compose.services ?? {})) {
  if (!svc.image && !svc.build) report("docker/compose.yaml", `service ${name} has neither image nor build`);
  const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
  for (const dep of deps)
    if (!compose.services[dep]) report("docker/compose.yaml", `service ${name} depends on unknown ${dep}`);
  // Third-party images by an explicit version (what runs is what was checked), never latest.
  if (svc.image && !/:[^:/]*\d[^:/]*$/.test(svc.image))
    report("docker/compose.yaml", `service ${name}: image ${svc.image} is not pinned to a version`);
  // Files mounted from the checkout exist (paths are relative to docker/).
  for (const volume of svc.volumes ?? []) {
    const source = volume.split(":")[0];
    if (source.startsWith(".") && !source.includes("${") && !existsSync(join("docker", source)))
      report("docker/compose.yaml", `service ${name} mounts ${source}, which does not exist`);
  }
}

// The observability files parse (their meaning is checked by tests/observability and tests/deploy).
for (const file of [
  "observability/prometheus/prometheus.yml",
  "observability/prometheus/alerts.yml",
  "observability/tempo/tempo.yaml",
  ...readdirSync("observability/grafana/provisioning", { recursive: true })
    .filter((f) => String(f).endsWith(".yaml"))
    .map((f) => `observability/grafana/provisioning/${f}`),
]) {
  try {
    parse(readFileSync(file, "utf8"));
  } catch (error) {
    report(file, error.message);
  }
}
for (const file of readdirSync("observability/grafana/dashboards").filter((f) => f.endsWith(".json"))) {
  try {
    JSON.parse(readFileSync(`observability/grafana/dashboards/${file}`, "utf8"));
  } catch (error) {
    report(`observability/grafana/dashboards/${file}`, error.message);
  }
}

const collector = parse(readFileSync("observability/otel-collector.yaml", "utf8"));
for (const [name, pipeline] of Object.entries(collector.service?.pipelines ?? {})) {
  for (const kind of ["receivers", "processors", "exporters"]) {
    for (const ref of pipeline[kind] ?? [])
      if (!collector[kind]?.[ref])
        report("observability/otel-collector.yaml", `pipeline ${name} uses undefined ${kind.slice(0, -1)} ${ref}`);
  }
}

if (problems) process.exit(1);
console.log("docker and observability files: ok");
