// `satellite --fallback-only`: the original's "apply CRI registry fallback configs and exit
// without starting satellite". Reads the saved config (for Ground Control's registry_fallback and
// a bring-your-own registry's address; an unreadable one is reported, not discarded), points the
// runtimes at where the registry will listen (https and the satellite's access when its registry
// flags give TLS or read credentials), and returns the report. No token, no Ground Control.
import { join } from "node:path";
import type { Logger } from "pino";
import { loadConfigFile } from "../config/config-file.js";
import { defaultConfig } from "../config/satellite-config.js";
import { deviceFingerprint } from "../fingerprint/device-fingerprint.js";
import type { ScryptParams } from "../fingerprint/sealed-box.js";
import type { MirrorReport, RuntimePaths } from "../runtime/configure-mirrors.js";
import type { DetectedRuntime } from "../runtime/detect.js";
import type { DaemonControl } from "../runtime/docker-control.js";
import { mirrorEndpoint } from "../runtime/mirror-spec.js";
import { setUpRuntimes } from "../runtime/set-up-runtimes.js";
import { resolveReadCredentials } from "../flags/registry-flags.js";
import { localMirrorAccess, localMirrorUrl } from "./local-mirror-access.js";
import type { AgentOptions } from "./agent-options.js";

export interface FallbackOnlyDeps {
  logger: Logger;
  fingerprint?: () => Promise<string>;
  scrypt?: ScryptParams;
  runtimePaths?: Partial<RuntimePaths>;
  detectRuntimes?: () => Promise<DetectedRuntime[]>;
  dockerControl?: DaemonControl;
}

export async function runFallbackOnly(
  options: AgentOptions,
  deps: FallbackOnlyDeps,
): Promise<MirrorReport | undefined> {
  const path = join(options.dataDir, "config.json");
  const loaded = await loadConfigFile(path, {
    fingerprint: deps.fingerprint ?? (() => deviceFingerprint()),
    sealed: deps.scrypt ? { scrypt: deps.scrypt } : undefined,
  });
  if (loaded.status === "discard")
    deps.logger.warn(
      { path, reason: loaded.reason.message },
      "saved config unreadable; its registry_fallback is not used",
    );
  const config = loaded.status === "loaded" ? loaded.config : defaultConfig();
  const local = config.app_config.local_registry.url;
  const byo = Boolean(config.app_config.bring_own_registry && local);
  const mirror = byo
    ? local
    : localMirrorUrl(
        mirrorEndpoint(`${options.registryHost}:${options.registryPort}`).host,
        options.registry.tls !== undefined,
      );
  const mirrorAccess = byo
    ? undefined
    : localMirrorAccess(
        options.registry,
        await resolveReadCredentials(options.registry.readCredentialsFile),
        deps.logger,
      );
  return setUpRuntimes({
    flags: options,
    registryFallback: config.app_config.registry_fallback,
    mirror,
    mirrorAccess,
    logger: deps.logger,
    paths: deps.runtimePaths,
    detect: deps.detectRuntimes,
    dockerControl: deps.dockerControl,
  });
}
