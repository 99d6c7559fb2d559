// The agent's container-runtime flags: which runtimes to point at the satellite (--mirrors), the
// original's --no-registry-fallback and --fallback-only, and --no-runtime-restart (leave reloading
// dockerd to the operator). runtime/select-runtimes.ts says how they combine with Ground Control's
// app_config.registry_fallback.
import { UsageError } from "./usage-error.js";
import { parseMirrorFlags, type MirrorSpec } from "../runtime/mirror-spec.js";

export const RUNTIME_FLAG_OPTIONS = {
  mirrors: { type: "string", multiple: true },
  "no-registry-fallback": { type: "boolean" },
  "fallback-only": { type: "boolean" },
  "no-runtime-restart": { type: "boolean" },
} as const;

export const RUNTIME_FLAGS_HELP = `  --mirrors RUNTIME:REG[,REG…]   point a container runtime (containerd, docker, crio, podman) at the local
                                 registry for these registries; repeatable: --mirrors=containerd:docker.io,quay.io
                                 --mirrors=podman:docker.io; docker:true means docker.io. A registry may say
                                 how the runtime reaches it itself when it falls back past the satellite:
                                 http://10.0.0.5:5000 (plain HTTP), 'https://reg.corp?ca=/etc/ssl/corp.pem',
                                 'https://reg.lab?skip_verify=true'. Ground Control's registry_fallback, when
                                 enabled, wins (its runtimes, or the ones installed here when it names none)
  --no-registry-fallback         configure no runtime at all, whatever --mirrors or Ground Control's config
                                 say (NO_REGISTRY_FALLBACK)
  --fallback-only                configure the runtimes and exit without starting the satellite: those of
                                 the saved config's registry_fallback, else --mirrors, else the runtimes
                                 installed here, for docker.io; needs no token or Ground Control
  --no-runtime-restart           after changing daemon.json, do not reload or restart dockerd (by default:
                                 systemctl reload docker, else restart; rolled back if dockerd does not come
                                 back with the mirror) (NO_RUNTIME_RESTART)`;

export interface RuntimeFlags {
  mirrors: MirrorSpec[];
  noRegistryFallback: boolean;
  fallbackOnly: boolean;
  noRuntimeRestart: boolean;
}

type Values = {
  mirrors?: string[];
  "no-registry-fallback"?: boolean;
  "fallback-only"?: boolean;
  "no-runtime-restart"?: boolean;
};

const TRUE = new Set(["1", "true", "yes", "on"]);

export function parseRuntimeFlags(values: Values, env: NodeJS.ProcessEnv): RuntimeFlags {
  let mirrors: MirrorSpec[];
  try {
    mirrors = parseMirrorFlags(values.mirrors ?? []);
  } catch (error) {
    throw new UsageError(`--mirrors: ${(error as Error).message}`);
  }
  const noRegistryFallback = values["no-registry-fallback"] ?? TRUE.has((env.NO_REGISTRY_FALLBACK ?? "").toLowerCase());
  const fallbackOnly = values["fallback-only"] ?? false;
  const noRuntimeRestart = values["no-runtime-restart"] ?? TRUE.has((env.NO_RUNTIME_RESTART ?? "").toLowerCase());
  if (noRegistryFallback && mirrors.length > 0)
    throw new UsageError("--no-registry-fallback configures no runtime: drop it or --mirrors");
  if (noRegistryFallback && fallbackOnly)
    throw new UsageError("--fallback-only with --no-registry-fallback would do nothing: choose one");
  return { mirrors, noRegistryFallback, fallbackOnly, noRuntimeRestart };
}
