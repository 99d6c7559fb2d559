// docker/compose.yaml as the compose tool reads it, enough to check it without a Docker engine:
// variables interpolated (${X}, ${X:-default}, ${X-default}, ${X:?error}, $$), profiles applied,
// and each service's entry point and arguments named.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export interface ComposeService {
  name: string;
  profiles: string[];
  build?: { dockerfile?: string; target?: string; args?: Record<string, string> };
  image?: string;
  command?: string[];
  environment: Record<string, string>;
  dependsOn: string[];
  volumes: string[];
}

/** Compose's variable syntax, with `env` as the shell environment. Throws on a `:?` variable left unset. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === "$$") return "$";
      const value = env[name!];
      const unset = value === undefined || (op?.startsWith(":") && value === "");
      if (op === ":-" || op === "-") return unset ? (arg ?? "") : value!;
      if (op === ":?" || op === "?") {
        if (unset) throw new Error(`${name} is required: ${arg}`);
        return value!;
      }
      return value ?? "";
    },
  );
}

function deepInterpolate(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === "string") return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => deepInterpolate(v, env));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepInterpolate(v, env)]));
  return value;
}

/** The services a `docker compose --profile …` run starts with these profiles on. */
export function loadCompose(
  path: string,
  env: Record<string, string | undefined>,
  profiles: string[],
): ComposeService[] {
  const doc = parse(readFileSync(path, "utf8")) as { services: Record<string, Record<string, unknown>> };
  const services: ComposeService[] = [];
  for (const [name, raw] of Object.entries(doc.services)) {
    const serviceProfiles = (raw.profiles as string[] | undefined) ?? [];
    if (serviceProfiles.length && !serviceProfiles.some((p) => profiles.includes(p))) continue;
    const svc = deepInterpolate(raw, env) as Record<string, unknown>;
    const environment = Object.fromEntries(
      Object.entries((svc.environment as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v ?? "")]),
    );
    const dependsOn = Array.isArray(svc.depends_on)
      ? (svc.depends_on as string[])
      : Object.keys((svc.depends_on as object) ?? {});
    services.push({
      name,
      profiles: serviceProfiles,
      build: svc.build as ComposeService["build"],
      image: svc.image as string | undefined,
      command: svc.command as string[] | undefined,
      environment,
      dependsOn,
      volumes: (svc.volumes as string[] | undefined) ?? [],
    });
  }
  return services;
}

/** ENV lines of the Dockerfile's final stage, as the container starts with them. */
export function imageEnv(dockerfile: string, args: Record<string, string>): Record<string, string> {
  const text = readFileSync(dockerfile, "utf8").replace(/\\\n/g, " ");
  const finalStage = text.slice(text.lastIndexOf("\nFROM "));
  const env: Record<string, string> = {};
  for (const line of finalStage.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const [, key, value] of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g))
      env[key] = value.replace(/\$\{(\w+)\}/g, (_m, arg: string) => args[arg] ?? "");
  }
  return env;
}
