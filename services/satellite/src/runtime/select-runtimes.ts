// Which runtimes to point at the satellite, for which registries, in the original's order
// (cmd/harbor-satellite resolveCRIAndApply):
//   --no-registry-fallback              none at all ("disable all CRI registry fallback
//                                       configuration"; here it also vetoes Ground Control's config,
//                                       which the original checked only after it)
//   app_config.registry_fallback.enabled  its `runtimes`, or the ones installed here when it names
//                                       none, for its `registries` (docker: docker.io); wins over
//                                       --mirrors, which is then ignored with a warning
//   --mirrors                           exactly those
//   --fallback-only (nothing else said) the installed runtimes, for docker.io
//   otherwise                           none: runtime configs are only edited when asked.
import { detectRuntimes, type DetectedRuntime } from "./detect.js";
import { parseMirrorFlags, type MirrorSpec, type RuntimeName } from "./mirror-spec.js";

export interface RegistryFallbackConfig {
  enabled: boolean;
  registries: readonly string[];
  runtimes: readonly RuntimeName[];
}

export interface RuntimeChoiceInput {
  noRegistryFallback: boolean;
  fallbackOnly: boolean;
  mirrors: readonly MirrorSpec[];
  registryFallback: RegistryFallbackConfig;
  /** The installed runtimes (default: detectRuntimes() on this machine). */
  detect?: () => Promise<DetectedRuntime[]>;
}

export type RuntimeChoiceSource = "no-registry-fallback" | "registry_fallback" | "mirrors" | "fallback-only" | "none";

export interface RuntimeChoice {
  specs: MirrorSpec[];
  source: RuntimeChoiceSource;
  /** Set when runtimes were auto-detected: what was found and why. */
  detected?: DetectedRuntime[];
  /** --mirrors was given but registry_fallback won. */
  mirrorsIgnored: boolean;
}

/** One spec per runtime for these registries (registry_fallback's entries may carry a scheme and options). */
function specsFor(runtimes: readonly RuntimeName[], registries: readonly string[]): MirrorSpec[] {
  const flags = runtimes.map((runtime) =>
    runtime === "docker" ? "docker:true" : `${runtime}:${registries.join(",")}`,
  );
  return parseMirrorFlags(flags);
}

export async function chooseRuntimes(input: RuntimeChoiceInput): Promise<RuntimeChoice> {
  const mirrorsGiven = input.mirrors.length > 0;
  if (input.noRegistryFallback) return { specs: [], source: "no-registry-fallback", mirrorsIgnored: mirrorsGiven };
  const detect = input.detect ?? (() => detectRuntimes());
  const fallback = input.registryFallback;
  if (fallback.enabled) {
    const registries = fallback.registries.length > 0 ? fallback.registries : ["docker.io"];
    if (fallback.runtimes.length > 0)
      return {
        specs: specsFor(fallback.runtimes, registries),
        source: "registry_fallback",
        mirrorsIgnored: mirrorsGiven,
      };
    const detected = await detect();
    return {
      specs: specsFor(
        detected.map((d) => d.runtime),
        registries,
      ),
      source: "registry_fallback",
      detected,
      mirrorsIgnored: mirrorsGiven,
    };
  }
  if (mirrorsGiven) return { specs: [...input.mirrors], source: "mirrors", mirrorsIgnored: false };
  if (input.fallbackOnly) {
    const detected = await detect();
    return {
      specs: specsFor(
        detected.map((d) => d.runtime),
        ["docker.io"],
      ),
      source: "fallback-only",
      detected,
      mirrorsIgnored: false,
    };
  }
  return { specs: [], source: "none", mirrorsIgnored: false };
}

/** The one log line about detection: `runtimes detected: containerd (socket /run/…), podman (binary /usr/bin/podman)`. */
export function describeDetected(detected: readonly DetectedRuntime[]): string {
  if (detected.length === 0) return "runtimes detected: none";
  return `runtimes detected: ${detected.map((d) => `${d.runtime} (${d.evidence.endsWith(".sock") ? "socket" : "binary"} ${d.evidence})`).join(", ")}`;
}
