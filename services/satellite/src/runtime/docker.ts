// dockerd: `registry-mirrors` in daemon.json (dockerd mirrors docker.io only), plus the mirror in
// `insecure-registries` when it is plain HTTP, which dockerd otherwise refuses to use. Other
// settings are kept as they are. Both keys are reloadable: `systemctl reload docker` (SIGHUP)
// applies them without restarting containers. With a daemon control (the agent's default unless
// --no-runtime-restart), a changed file is applied to the running dockerd and rolled back when
// dockerd does not come back with the mirror (docker-control.ts).
import { editFile } from "./config-file-edit.js";
import { applyDockerChange, type DockerApplyOptions } from "./docker-control.js";
import { mirrorEndpoint } from "./mirror-spec.js";
import { RuntimeConfigError, type RuntimeResult } from "./runtime-result.js";

export const DOCKER_DEFAULTS = { daemonJsonPath: "/etc/docker/daemon.json" };

export interface DockerMirrorOptions {
  mirror: string;
  daemonJsonPath?: string;
  now?: Date;
  /** Reload/restart dockerd after a change (and roll back when it fails); absent: left to the operator. */
  apply?: Omit<DockerApplyOptions, "mirrorUrl">;
}

function appendOnce(list: unknown, value: string, key: string, path: string): string[] {
  if (list === undefined) return [value];
  if (!Array.isArray(list) || !list.every((v) => typeof v === "string"))
    throw new RuntimeConfigError("docker", path, `${key} is not a list of strings`);
  return list.includes(value) ? list : [...list, value];
}

export function planDaemonJson(text: string | undefined, path: string, mirror: string): string | undefined {
  let config: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== "") {
    try {
      config = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new RuntimeConfigError("docker", path, `not valid JSON: ${(error as Error).message}`);
    }
    if (config === null || typeof config !== "object" || Array.isArray(config))
      throw new RuntimeConfigError("docker", path, "not a JSON object");
  }
  const endpoint = mirrorEndpoint(mirror);
  const next: Record<string, unknown> = {
    ...config,
    "registry-mirrors": appendOnce(config["registry-mirrors"], endpoint.url, "registry-mirrors", path),
  };
  if (endpoint.insecure)
    next["insecure-registries"] = appendOnce(config["insecure-registries"], endpoint.host, "insecure-registries", path);
  const out = `${JSON.stringify(next, null, 2)}\n`;
  return text !== undefined && JSON.stringify(next) === JSON.stringify(config) ? undefined : out;
}

export async function configureDocker(options: DockerMirrorOptions): Promise<RuntimeResult> {
  const path = options.daemonJsonPath ?? DOCKER_DEFAULTS.daemonJsonPath;
  const edit = await editFile(path, (text) => planDaemonJson(text, path, options.mirror), options.now ?? new Date());
  if (!edit.changed) return { runtime: "docker", files: [edit], restartRequired: false, notes: [] };
  if (!options.apply)
    return {
      runtime: "docker",
      files: [edit],
      restartRequired: true,
      notes: ["reload dockerd to apply registry-mirrors: systemctl reload docker (SIGHUP)"],
    };
  const outcome = await applyDockerChange(edit, { ...options.apply, mirrorUrl: mirrorEndpoint(options.mirror).url });
  if (outcome.applied === false)
    throw new RuntimeConfigError("docker", path, [outcome.error.message, ...outcome.notes].join("; "));
  return {
    runtime: "docker",
    files: [edit],
    restartRequired: false,
    notes: [...outcome.notes, `dockerd ${outcome.applied} and lists the mirror`],
  };
}
