// Pointing container runtimes at the satellite's registry.
export { configureMirrors, DEFAULT_RUNTIME_PATHS } from "./configure-mirrors.js";
export type { ConfigureMirrorsOptions, MirrorReport, MirrorOutcome, RuntimePaths } from "./configure-mirrors.js";
export { parseMirrorFlags, parseUpstream, mirrorEndpoint, MirrorSpecError, RUNTIMES } from "./mirror-spec.js";
export type { MirrorSpec, RuntimeName, UpstreamOptions } from "./mirror-spec.js";
export { accessNotes, basicAuthorization } from "./mirror-access.js";
export type { MirrorAccess } from "./mirror-access.js";
export { chooseRuntimes, describeDetected } from "./select-runtimes.js";
export type { RuntimeChoice, RegistryFallbackConfig } from "./select-runtimes.js";
export { setUpRuntimes } from "./set-up-runtimes.js";
export { applyDockerChange, systemDockerControl } from "./docker-control.js";
export type { DaemonControl, DockerApplyOutcome } from "./docker-control.js";
export { detectRuntimes } from "./detect.js";
export type { DetectOptions, DetectedRuntime } from "./detect.js";
export { configureContainerd, CONTAINERD_DEFAULTS } from "./containerd.js";
export { configureDocker, DOCKER_DEFAULTS } from "./docker.js";
export { configureContainersRegistries, CONTAINERS_DEFAULTS } from "./containers-registries.js";
export { RuntimeConfigError, describeResults } from "./runtime-result.js";
export type { RuntimeResult } from "./runtime-result.js";
