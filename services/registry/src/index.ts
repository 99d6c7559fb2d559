// @harbor-satellite/registry: the registry service module for the gateway. It is the only part of
// Ground Control that talks to Harbor: the private `satellite` project, one robot account per
// satellite, and the state artifacts satellites read (group and config states in Harbor; each
// satellite's own satellite state in Ground Control's database, served by the gateway, and with
// SATELLITE_STATE_IN_HARBOR also in Harbor for original Go satellites).
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Database } from "@harbor-satellite/db";
import { createHarborClient, type HarborClient } from "@harbor-satellite/harbor";
import type { SecretHashParams, ServiceModule } from "@harbor-satellite/rpc";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import { createRegistryServiceImpl } from "./registry-service.js";
import { countRenewals } from "./renewal-metrics.js";
import { renewalPolicy, requestRobotRenewals } from "./robot-renewal.js";
import { createRobotStore } from "./robot-store.js";
import { createRobotManager } from "./robots.js";
import { createSatelliteStateStore } from "./satellite-state-store.js";
import { createSatelliteStates } from "./satellite-states.js";
import { STATE_PROJECT } from "@harbor-satellite/state-artifact";
import { createStatePublisher } from "./state-publisher.js";
import { createOciStatePusher, type StatePusher } from "./state-pusher.js";

export interface RegistryModuleDeps {
  db: Database;
  /** HARBOR_URL, HARBOR_USERNAME, HARBOR_PASSWORD: the Harbor Ground Control manages and its admin account. */
  harbor: { url: string; username: string; password: string };
  /**
   * GROUND_CONTROL_URL: where satellites reach Ground Control, for the satellite-state URL
   * PublishSatelliteState reports; unset, the URL of the request (empty for the outbox's own calls).
   */
  publicUrl?: string;
  /** Robot lifetime in days (ROBOT_DURATION_DAYS); default -1, never expires. */
  robotDurationDays?: number;
  /**
   * Keeping robots alive (robot-renewal.ts): EnsureRobot renews a robot with fewer than
   * `withinDays` left (default half of robotDurationDays); every `sweepIntervalMs` (default 1 h,
   * from start()) satellites whose robot is that close to expiry get a `sync-robot` outbox row.
   */
  robotRenewal?: { withinDays?: number; sweepIntervalMs?: number };
  /**
   * SATELLITE_STATE_IN_HARBOR: also push each satellite state to Harbor, where original Go
   * satellites look for it (their --harbor-registry-url sends every state URL to Harbor). Every
   * robot can read every satellite's state there; off by default.
   */
  satelliteStateInHarbor?: boolean;
  logger?: Logger;
  /** Replaces the Harbor REST client (tests). */
  harborClient?: HarborClient;
  /** Replaces the registry push client (tests). */
  pusher?: StatePusher;
  /** Clock for the unix-time tag and robot renewal (tests). */
  now?: () => Date;
  /** scrypt's cost for stored robot secrets; unset: the production default (tests pass a cheap one). */
  secretHash?: SecretHashParams;
}

export interface RegistryModule extends ServiceModule {
  /** One renewal sweep now: queues `sync-robot` for satellites whose robot expires soon; returns them. */
  renewRobots(): Promise<string[]>;
}

export function createRegistryModule(deps: RegistryModuleDeps): RegistryModule {
  const logger = deps.logger ?? createLogger({ name: "registry" });
  const harborUrl = deps.harbor.url.replace(/\/+$/, "");
  const harbor = deps.harborClient ?? createHarborClient(deps.harbor);
  const pusher = deps.pusher ?? createOciStatePusher(deps.harbor);

  // The state project is created once per process; a failure is retried by the next caller.
  let stateProject: Promise<void> | undefined;
  const ensureStateProject = (): Promise<void> => {
    stateProject ??= harbor.ensureProject(STATE_PROJECT, { public: false }).then(
      ({ created }) => {
        if (created) logger.info({ project: STATE_PROJECT }, "created private state project");
      },
      (error: unknown) => {
        stateProject = undefined;
        throw harborFailure(error, `ensuring project ${STATE_PROJECT}`);
      },
    );
    return stateProject;
  };

  const now = deps.now ?? (() => new Date());
  const renewal = renewalPolicy(deps.robotDurationDays ?? -1, deps.robotRenewal?.withinDays);
  const robots = createRobotManager({
    harbor,
    store: createRobotStore(deps.db),
    logger,
    renewal,
    now,
    ensureStateProject,
    secretHash: deps.secretHash,
  });
  const publish = createStatePublisher({ pusher, harborUrl, ensureStateProject, now: deps.now });
  const copyToHarbor = deps.satelliteStateInHarbor ? { pusher, ensureStateProject } : undefined;
  if (copyToHarbor) {
    logger.warn(
      { project: STATE_PROJECT },
      "SATELLITE_STATE_IN_HARBOR is on: satellite states are also pushed to Harbor, where robot permissions are per project, so every satellite's robot can read every other satellite's state; use it only while original Go satellites remain",
    );
  }
  const satelliteStates = createSatelliteStates({
    store: createSatelliteStateStore(deps.db),
    harbor,
    logger,
    now: deps.now,
    copyToHarbor,
  });
  const publicUrl = deps.publicUrl?.replace(/\/+$/, "") || undefined;
  const impl = createRegistryServiceImpl({ harborUrl, harbor, robots, publish, satelliteStates, publicUrl, logger });

  const renewRobots = async (): Promise<string[]> => {
    const queued = await requestRobotRenewals(deps.db, renewal, now());
    countRenewals("queued", queued.length);
    if (queued.length > 0)
      logger.info({ satellites: queued.slice(0, 20), count: queued.length }, "robots expiring soon queued for renewal");
    return queued;
  };
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;
  const sweep = () => {
    sweeping ??= renewRobots()
      .catch((error: unknown) => logger.warn({ err: String(error) }, "robot renewal sweep failed; will retry"))
      .finally(() => (sweeping = undefined));
  };

  return {
    name: "registry",
    serviceNames: [RegistryService.typeName],
    routes: (router) => router.service(RegistryService, impl),
    renewRobots,
    start() {
      if (timer) return;
      sweep();
      timer = setInterval(sweep, deps.robotRenewal?.sweepIntervalMs ?? 3_600_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping;
      pusher.close();
    },
  };
}

export { ROBOT_DESCRIPTION, robotProjects } from "./robots.js";
export { renewalPolicy, renewedDuration } from "./robot-renewal.js";
export type { RenewalPolicy } from "./robot-renewal.js";
export { stateUrl, stateRepository, STATE_PROJECT } from "@harbor-satellite/state-artifact";
export type { StateKindName } from "@harbor-satellite/state-artifact";
export { STATE_FILE_NAME } from "@harbor-satellite/state-artifact";
export {
  confirmRobotRotation,
  findRobotCredentials,
  recordRobotRotation,
  robotSecretHashes,
  robotSecretHashesOf,
} from "./robot-credentials-query.js";
export type { RobotCredentials, RobotKey } from "./robot-credentials-query.js";
export { storedSatelliteStates } from "./state-artifact-query.js";
