// Points each requested runtime at the satellite. Every runtime is tried even when another
// fails; the results (and the activity line for the heartbeat) say what happened to each.
// Paths default to the real ones and are parameters, so tests never touch this machine's /etc.
import type { Logger } from "pino";
import { configureContainerd, CONTAINERD_DEFAULTS } from "./containerd.js";
import { configureContainersRegistries, CONTAINERS_DEFAULTS } from "./containers-registries.js";
import { configureDocker, DOCKER_DEFAULTS } from "./docker.js";
import type { DockerApplyOptions } from "./docker-control.js";
import { accessNotes, type MirrorAccess } from "./mirror-access.js";
import { mirrorEndpoint, type MirrorSpec, type RuntimeName } from "./mirror-spec.js";
import { describeResults, type RuntimeResult } from "./runtime-result.js";

export interface RuntimePaths {
  containerdConfig: string;
  containerdCertsDir: string;
  dockerDaemonJson: string;
  registriesConf: string;
}

export const DEFAULT_RUNTIME_PATHS: RuntimePaths = {
  containerdConfig: CONTAINERD_DEFAULTS.configPath,
  containerdCertsDir: CONTAINERD_DEFAULTS.certsDir,
  dockerDaemonJson: DOCKER_DEFAULTS.daemonJsonPath,
  registriesConf: CONTAINERS_DEFAULTS.registriesConfPath,
};

export interface ConfigureMirrorsOptions {
  specs: readonly MirrorSpec[];
  /** The satellite's registry address as runtimes reach it, e.g. `127.0.0.1:8585`. */
  mirror: string;
  /** The satellite registry's CA and a reader's credentials (TLS, read credentials). */
  mirrorAccess?: MirrorAccess;
  paths?: Partial<RuntimePaths>;
  containerdMajorVersion?: number;
  /** Apply a daemon.json change to the running dockerd (absent: left to the operator). */
  docker?: Omit<DockerApplyOptions, "mirrorUrl">;
  now?: Date;
  logger?: Logger;
}

export type MirrorOutcome = RuntimeResult | { runtime: RuntimeName; error: Error };

export interface MirrorReport {
  outcomes: MirrorOutcome[];
  /** For the heartbeat's `activity`. */
  activity: string;
  failed: boolean;
}

export async function configureMirrors(options: ConfigureMirrorsOptions): Promise<MirrorReport> {
  const paths = { ...DEFAULT_RUNTIME_PATHS, ...options.paths };
  const now = options.now ?? new Date();
  const outcomes: MirrorOutcome[] = [];
  for (const spec of options.specs) {
    try {
      let result: RuntimeResult;
      if (spec.runtime === "containerd")
        result = await configureContainerd({
          registries: spec.registries,
          upstreams: spec.upstreams,
          mirror: options.mirror,
          mirrorAccess: options.mirrorAccess,
          configPath: paths.containerdConfig,
          certsDir: paths.containerdCertsDir,
          majorVersion: options.containerdMajorVersion,
          now,
        });
      else if (spec.runtime === "docker")
        result = await configureDocker({
          mirror: options.mirror,
          daemonJsonPath: paths.dockerDaemonJson,
          now,
          apply: options.docker,
        });
      else
        result = await configureContainersRegistries({
          runtime: spec.runtime,
          registries: spec.registries,
          upstreams: spec.upstreams,
          mirror: options.mirror,
          registriesConfPath: paths.registriesConf,
          now,
        });
      result = {
        ...result,
        notes: [
          ...result.notes,
          ...accessNotes(spec.runtime, mirrorEndpoint(options.mirror).host, options.mirrorAccess),
        ],
      };
      outcomes.push(result);
      options.logger?.info(
        {
          runtime: spec.runtime,
          changed: result.files.filter((f) => f.changed).map((f) => f.path),
          backups: result.files.map((f) => f.backup).filter(Boolean),
          notes: result.notes,
        },
        "runtime mirror configured",
      );
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      outcomes.push({ runtime: spec.runtime, error: err });
      options.logger?.error(
        { runtime: spec.runtime, err: { name: err.name, message: err.message } },
        "runtime mirror not configured",
      );
    }
  }
  return { outcomes, activity: describeResults(outcomes), failed: outcomes.some((o) => "error" in o) };
}
