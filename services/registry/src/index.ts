// @harbor-satellite/registry: the registry service module for the gateway. It is the only part of
// Ground Control that talks to Harbor: the private `satellite` project, one robot account per
// satellite, and the state artifacts satellites read.
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Database } from "@harbor-satellite/db";
import { createHarborClient, type HarborClient } from "@harbor-satellite/harbor";
import type { ServiceModule } from "@harbor-satellite/rpc";
import { createLogger, type Logger } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import { createRegistryServiceImpl } from "./registry-service.js";
import { createRobotStore } from "./robot-store.js";
import { createRobotManager } from "./robots.js";
import { STATE_PROJECT } from "./state-documents.js";
import { createStatePublisher } from "./state-publisher.js";
import { createOciStatePusher, type StatePusher } from "./state-pusher.js";

export interface RegistryModuleDeps {
  db: Database;
  /** HARBOR_URL, HARBOR_USERNAME, HARBOR_PASSWORD: the Harbor Ground Control manages and its admin account. */
  harbor: { url: string; username: string; password: string };
  /** Robot lifetime in days (ROBOT_DURATION_DAYS); default -1, never expires. */
  robotDurationDays?: number;
  logger?: Logger;
  /** Replaces the Harbor REST client (tests). */
  harborClient?: HarborClient;
  /** Replaces the registry push client (tests). */
  pusher?: StatePusher;
  /** Clock for the unix-time tag (tests). */
  now?: () => Date;
}

export function createRegistryModule(deps: RegistryModuleDeps): ServiceModule {
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

  const robots = createRobotManager({
    harbor,
    store: createRobotStore(deps.db),
    logger,
    durationDays: deps.robotDurationDays ?? -1,
    ensureStateProject,
  });
  const publish = createStatePublisher({ pusher, harborUrl, ensureStateProject, now: deps.now });
  const impl = createRegistryServiceImpl({ harborUrl, harbor, robots, publish, logger });

  return {
    name: "registry",
    serviceNames: [RegistryService.typeName],
    routes: (router) => router.service(RegistryService, impl),
    async stop() {
      pusher.close();
    },
  };
}

export { ROBOT_DESCRIPTION, robotProjects } from "./robots.js";
export { stateUrl, stateRepository, STATE_PROJECT } from "./state-documents.js";
export type { StateKindName } from "./state-documents.js";
export { STATE_FILE_NAME } from "./state-image.js";
