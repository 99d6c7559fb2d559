// Lints what cannot run here (no Docker engine): Dockerfiles with dockerfile-utils' validator,
// compose and collector YAML by parsing them and checking the keys we rely on.
import { readFileSync, readdirSync } from "node:fs";
import { validate } from "dockerfile-utils";
import { parse } from "yaml";

let problems = 0;
const report = (file, message) => {
  problems++;
  console.error(`${file}: ${message}`);
};

for (const name of readdirSync("docker").filter((f) => f === "Dockerfile" || f.endsWith(".Dockerfile"))) {
  const file = `docker/${name}`;
  for (const d of validate(readFileSync(file, "utf8"))) report(file, `line ${d.range.start.line + 1}: ${d.message}`);
}

const compose = parse(readFileSync("docker/compose.yaml", "utf8"));
for (const [name, svc] of Object.entries(compose.services ?? {})) {
  if (!svc.image && !svc.build) report("docker/compose.yaml", `service ${name} has neither image nor build`);
  for (const dep of Object.keys(svc.depends_on ?? {})) if (!compose.services[dep]) report("docker/compose.yaml", `service ${name} depends on unknown ${dep}`);
}

const collector = parse(readFileSync("observability/otel-collector.yaml", "utf8"));
for (const [name, pipeline] of Object.entries(collector.service?.pipelines ?? {})) {
  for (const kind of ["receivers", "processors", "exporters"]) {
    for (const ref of pipeline[kind] ?? []) if (!collector[kind]?.[ref]) report("observability/otel-collector.yaml", `pipeline ${name} uses undefined ${kind.slice(0, -1)} ${ref}`);
  }
}

if (problems) process.exit(1);
console.log("docker and observability files: ok");
