// RegistryService handlers: validate the request, do the Harbor work (or, for satellite states,
// the database work), map the result to proto. Domain errors are thrown as they are; the gateway
// maps them to Connect codes once.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  GetRegistryInfoResponseSchema,
  GetSatelliteStateArtifactResponseSchema,
  PublishedStateSchema,
  RobotSchema,
  StateKind,
  type RegistryService,
  type Robot,
} from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { HarborClient } from "@harbor-satellite/harbor";
import {
  callerOf,
  InvalidArgumentError,
  PermissionDeniedError,
  publicUrlOf,
  requireName,
  parseJsonObject,
  renamedField,
  UnauthenticatedError,
} from "@harbor-satellite/rpc";
import type { Logger } from "@harbor-satellite/telemetry";
import { harborFailure } from "./harbor-errors.js";
import type { RobotManager, RobotView } from "./robots.js";
import type { SatelliteStates } from "./satellite-states.js";
import {
  configStateDocument,
  groupStateDocument,
  satelliteStateDocument,
  STATE_PROJECT,
  stateRepositoryInProject,
  stateUrl,
  type StateKindName,
} from "@harbor-satellite/state-artifact";
import { listRepositoryTags } from "./repository-tags.js";
import type { PublishedStateInfo, PublishState } from "./state-publisher.js";
import { requireArtifacts, requirePin, requireProjects, requireSatelliteName, requireStateName } from "./validation.js";

export interface RegistryServiceDeps {
  harborUrl: string;
  harbor: HarborClient;
  robots: RobotManager;
  publish: PublishState;
  satelliteStates: SatelliteStates;
  /** GROUND_CONTROL_URL: where satellites read their satellite state; else the request's own URL. */
  publicUrl?: string;
  logger: Logger;
}

/** Harbor components whose health does not matter to Ground Control (the original ignores them too). */
const IGNORED_COMPONENTS = new Set(["portal", "trivy", "registryctl", "jobservice"]);

const KIND_NAMES: Record<number, StateKindName> = {
  [StateKind.GROUP]: "group",
  [StateKind.SATELLITE]: "satellite",
  [StateKind.CONFIG]: "config",
};

function robotMessage(robot: RobotView): Robot {
  return create(RobotSchema, {
    satellite: robot.satellite,
    name: robot.robotName,
    harborId: BigInt(robot.harborId),
    projects: robot.projects,
    expireTime: robot.expiresAt ? timestampFromDate(robot.expiresAt) : undefined,
  });
}

function publishedMessage(state: PublishedStateInfo) {
  return create(PublishedStateSchema, { url: state.url, digest: state.digest, timestampTag: state.timestampTag });
}

export function createRegistryServiceImpl(deps: RegistryServiceDeps): ServiceImpl<typeof RegistryService> {
  const { harbor, robots, publish, harborUrl, satelliteStates } = deps;

  return {
    async getRegistryInfo() {
      // Not logged here: the gateway's Harbor watcher asks every few seconds and logs changes once.
      let problem: string;
      try {
        const health = await harbor.health();
        const unhealthy = (health.components ?? [])
          .filter((c) => !IGNORED_COMPONENTS.has(c.name ?? "") && c.status !== "healthy")
          .map((c) => c.name ?? "?");
        problem = unhealthy.length ? `unhealthy components: ${unhealthy.join(", ")}` : "";
      } catch (error) {
        problem = `unreachable: ${harborFailure(error, "Harbor health").message}`;
      }
      return create(GetRegistryInfoResponseSchema, {
        harborUrl,
        stateProject: STATE_PROJECT,
        healthy: problem === "",
        problem,
      });
    },

    async ensureRobot(req) {
      const satellite = requireSatelliteName("satellite", req.satellite);
      const { robot, secret } = await robots.ensure(satellite, requireProjects(req.projects));
      return { robot: robotMessage(robot), secret: secret ?? "" };
    },

    async rotateRobotSecret(req) {
      const { robot, secret } = await robots.rotate(requireName("satellite", req.satellite));
      return { robot: robotMessage(robot), secret };
    },

    async getRobot(req) {
      return { robot: robotMessage(await robots.get(requireName("satellite", req.satellite))) };
    },

    async deleteRobot(req) {
      await robots.delete(requireName("satellite", req.satellite));
      return {};
    },

    async publishGroupState(req) {
      const group = requireStateName("group", req.group);
      const artifacts = requireArtifacts(req.artifacts);
      return {
        state: publishedMessage(await publish("group", group, groupStateDocument(group, harborUrl, artifacts))),
      };
    },

    async publishSatelliteState(req, ctx) {
      const satellite = requireStateName("satellite", req.satellite);
      const groups = req.groups.map((g, i) => ({
        name: requireStateName(`groups[${i}]`, g),
        digest: requirePin(`group_digests[${JSON.stringify(g)}]`, req.groupDigests[g]),
      }));
      const configName = renamedField("config", req.config, "config_name", req.configName);
      const config =
        configName === ""
          ? undefined
          : { name: requireStateName("config", configName), digest: requirePin("config_digest", req.configDigest) };
      const { digest, timestampTag } = await satelliteStates.publish(satellite, {
        served: satelliteStateDocument(harborUrl, groups, config, "pinned"),
        harborCopy: satelliteStateDocument(harborUrl, groups, config, "original"),
      });
      const groundControl = deps.publicUrl ?? publicUrlOf(ctx);
      return {
        state: publishedMessage({
          url: groundControl ? stateUrl(groundControl, "satellite", satellite) : "",
          digest,
          timestampTag,
        }),
      };
    },

    async publishConfigState(req) {
      const name = requireStateName("config", renamedField("config", req.config, "config_name", req.configName));
      const config = parseJsonObject("config_json", req.configJson);
      return { state: publishedMessage(await publish("config", name, configStateDocument(config))) };
    },

    async deleteState(req) {
      const kind = KIND_NAMES[req.kind];
      if (!kind)
        throw new InvalidArgumentError("kind must be STATE_KIND_GROUP, STATE_KIND_SATELLITE or STATE_KIND_CONFIG");
      const name = requireStateName("name", req.name);
      if (kind === "satellite") {
        await satelliteStates.remove(name);
        return {};
      }
      const repo = stateRepositoryInProject(kind, name);
      try {
        if (await harbor.deleteRepository(STATE_PROJECT, repo))
          deps.logger.info({ repository: `${STATE_PROJECT}/${repo}` }, "state artifact deleted");
      } catch (error) {
        throw harborFailure(error, `deleting ${STATE_PROJECT}/${repo}`);
      }
      return {};
    },

    async getSatelliteStateArtifact(req, ctx) {
      const satellite = requireStateName("satellite", req.satellite);
      // Also checked at the HTTP edge; checked again here so no other path to this rpc can hand
      // one satellite another's state.
      const caller = callerOf(ctx);
      if (caller.kind === "anonymous")
        throw new UnauthenticatedError("reading a satellite state needs that satellite's credentials or an admin's");
      if (caller.kind === "satellite" && caller.name !== satellite)
        throw new PermissionDeniedError(
          `satellite ${JSON.stringify(caller.name)} may not read the state of satellite ${JSON.stringify(satellite)}`,
        );
      const { target } = req;
      if (target.case !== "manifest" && target.case !== "blob")
        throw new InvalidArgumentError("target must be set: a manifest reference or a blob digest");
      const part = await satelliteStates.read(
        satellite,
        target.case === "manifest"
          ? { kind: "manifest", reference: target.value }
          : { kind: "blob", digest: target.value },
      );
      return create(GetSatelliteStateArtifactResponseSchema, part);
    },

    async listRepositoryTags(req) {
      return { tags: await listRepositoryTags(harbor, req.repository) };
    },
  };
}
