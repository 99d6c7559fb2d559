// The config the agent starts with: the saved one (or the defaults), with what the operator
// said on the command line laid over it and pinned, so a config-state artifact never undoes it.
// Decides whether ZTR must run, and refuses to start when it must and cannot.
import { UsageError } from "../flags/usage-error.js";
import { defaultConfig, type AppConfig, type SatelliteConfig } from "../config/satellite-config.js";
import type { AgentOptions } from "./agent-options.js";
import type { StartingConfig } from "./config-at-rest.js";

export interface ResolvedConfig {
  config: SatelliteConfig;
  /** ZTR must run before state replication and heartbeats can. */
  needsEnrolment: boolean;
  /** app_config fields the config artifact may not change. */
  pinned: (keyof AppConfig)[];
  /** Why a saved enrolment is not used, when one was found but dropped. */
  reenrolReason?: string;
}

export function resolveStartingConfig(options: AgentOptions, starting: StartingConfig): ResolvedConfig {
  const base = starting.config ?? defaultConfig();
  const app: AppConfig = { ...base.app_config };
  const pinned: (keyof AppConfig)[] = ["ground_control_url", "spiffe"];
  let reenrolReason: string | undefined;

  const savedUrl = base.app_config.ground_control_url;
  app.ground_control_url = options.groundControlUrl ?? savedUrl;
  if (!app.ground_control_url) throw new UsageError("--ground-control-url URL is required (or GROUND_CONTROL_URL)");
  if (
    starting.status === "registered" &&
    options.groundControlUrl &&
    savedUrl &&
    savedUrl !== options.groundControlUrl
  ) {
    reenrolReason = `enrolled with ${savedUrl}, now pointed at ${options.groundControlUrl}`;
  }
  if (options.spiffe) {
    app.spiffe = {
      enabled: true,
      endpoint_socket: options.spiffe.endpointSocket,
      expected_server_id: options.spiffe.expectedServerId ?? "",
    };
  } else {
    app.spiffe = { enabled: false, endpoint_socket: "", expected_server_id: "" };
  }
  if (options.useUnsecure) {
    app.use_unsecure = true;
    pinned.push("use_unsecure");
  }
  if (options.harborRegistryUrl) {
    app.harbor_registry_url = options.harborRegistryUrl;
    pinned.push("harbor_registry_url");
  }
  if (options.logLevel) {
    app.log_level = options.logLevel;
    pinned.push("log_level");
  }

  const config: SatelliteConfig = { ...base, app_config: app };
  const needsEnrolment = starting.status !== "registered" || reenrolReason !== undefined;
  if (reenrolReason) config.state_config = defaultConfig().state_config;
  if (needsEnrolment && !options.token && !options.spiffe) {
    const why =
      starting.status === "unregistered" && starting.discarded
        ? `the saved config was discarded (${starting.discarded})`
        : reenrolReason
          ? reenrolReason
          : "this satellite is not enrolled yet";
    throw new UsageError(
      `${why}: start with --token T (from Ground Control's IssueZtrToken) or --spiffe-enabled --spiffe-endpoint-socket unix:///…`,
    );
  }
  return { config, needsEnrolment, pinned, reenrolReason };
}
