// The agent's one call to point runtimes at the satellite: choose them (select-runtimes.ts), say
// in one log line which were detected, configure them, and return the report whose activity line
// the first heartbeat carries. Undefined when nothing was to be configured, or when Ground
// Control's registry_fallback names a registry that is not one (logged; the agent carries on).
import type { Logger } from "pino";
import type { RuntimeFlags } from "../flags/runtime-flags.js";
import { configureMirrors, type MirrorReport, type RuntimePaths } from "./configure-mirrors.js";
import type { DetectedRuntime } from "./detect.js";
import { systemDockerControl, type DaemonControl } from "./docker-control.js";
import type { MirrorAccess } from "./mirror-access.js";
import { MirrorSpecError } from "./mirror-spec.js";
import {
  chooseRuntimes,
  describeDetected,
  type RegistryFallbackConfig,
  type RuntimeChoice,
} from "./select-runtimes.js";

export interface SetUpRuntimesOptions {
  flags: RuntimeFlags;
  registryFallback: RegistryFallbackConfig;
  /** The satellite's registry as runtimes reach it. */
  mirror: string;
  /** The satellite registry's CA and a reader's credentials, for the runtimes that can carry them. */
  mirrorAccess?: MirrorAccess;
  logger: Logger;
  paths?: Partial<RuntimePaths>;
  detect?: () => Promise<DetectedRuntime[]>;
  /** How dockerd is reloaded (default: systemctl and the docker CLI); unused with --no-runtime-restart. */
  dockerControl?: DaemonControl;
  dockerReadyTimeoutMs?: number;
}

export async function setUpRuntimes(options: SetUpRuntimesOptions): Promise<MirrorReport | undefined> {
  const { flags, logger } = options;
  let choice: RuntimeChoice;
  try {
    choice = await chooseRuntimes({
      noRegistryFallback: flags.noRegistryFallback,
      fallbackOnly: flags.fallbackOnly,
      mirrors: flags.mirrors,
      registryFallback: options.registryFallback,
      detect: options.detect,
    });
  } catch (error) {
    if (!(error instanceof MirrorSpecError)) throw error;
    logger.error(
      { err: { name: error.name, message: error.message }, registries: options.registryFallback.registries },
      "app_config.registry_fallback is unusable; no container runtime configured",
    );
    return undefined;
  }
  if (choice.source === "no-registry-fallback") {
    logger.info("--no-registry-fallback: no container runtime configured");
    return undefined;
  }
  if (choice.mirrorsIgnored)
    logger.warn(
      { mirrors: flags.mirrors.map((s) => s.runtime) },
      "app_config.registry_fallback is enabled and wins over --mirrors, as in the original; --mirrors ignored",
    );
  if (choice.detected)
    logger.info({ detected: choice.detected, source: choice.source }, describeDetected(choice.detected));
  if (choice.specs.length === 0) return undefined;
  const docker = flags.noRuntimeRestart
    ? undefined
    : { control: options.dockerControl ?? systemDockerControl(), readyTimeoutMs: options.dockerReadyTimeoutMs };
  return configureMirrors({
    specs: choice.specs,
    mirror: options.mirror,
    mirrorAccess: options.mirrorAccess,
    paths: options.paths,
    docker,
    logger,
  });
}
