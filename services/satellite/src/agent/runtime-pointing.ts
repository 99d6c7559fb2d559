// Pointing the site's container runtimes at the satellite's registry (registry_fallback): which
// registry they are given (ours, with its CA and reader credentials, or a bring-your-own one, as
// local-mirror-access.ts decides from the current config), and the one call that configures them,
// made at start and again when a config-state artifact turns registry_fallback on (config-following.ts).
import type { Logger } from "pino";
import type { SatelliteConfig } from "../config/satellite-config.js";
import type { WriteCredentials } from "../registry/write-credentials.js";
import type { RuntimePaths } from "../runtime/configure-mirrors.js";
import type { DetectedRuntime } from "../runtime/detect.js";
import type { DaemonControl } from "../runtime/docker-control.js";
import { setUpRuntimes } from "../runtime/set-up-runtimes.js";
import type { AgentOptions } from "./agent-options.js";
import { localMirror, type LocalMirror } from "./local-mirror-access.js";

export interface RuntimePointingOptions {
  /** Our registry's listening address. */
  registry: { host: string; port: number };
  options: AgentOptions;
  /** The registry's read credentials, which the runtimes pull with (containerd only). */
  readers: WriteCredentials | undefined;
  config: () => SatelliteConfig;
  logger: Logger;
  runtimePaths?: Partial<RuntimePaths>;
  detectRuntimes?: () => Promise<DetectedRuntime[]>;
  dockerControl?: DaemonControl;
}

export interface RuntimePointing {
  mirror: LocalMirror;
  /** Points the runtimes at the mirror as the config now says; the activity for the next heartbeat, if any. */
  pointRuntimes(): Promise<string | undefined>;
}

export function runtimePointing(input: RuntimePointingOptions): RuntimePointing {
  const { options, config, logger } = input;
  const mirror = localMirror({
    registry: input.registry,
    flags: options.registry,
    readers: input.readers,
    config,
    logger,
  });
  const pointRuntimes = async () =>
    (
      await setUpRuntimes({
        flags: options,
        registryFallback: config().app_config.registry_fallback,
        mirror: mirror.url(),
        mirrorAccess: mirror.access(),
        logger,
        paths: input.runtimePaths,
        detect: input.detectRuntimes,
        dockerControl: input.dockerControl,
      })
    )?.activity;
  return { mirror, pointRuntimes };
}
