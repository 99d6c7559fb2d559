// Robot accounts, with the checks of Harbor's robot handler and controller, in their order:
// name rule, duration (-1 or 1..MaxInt32-1 days), level (system|project), at least one permission
// each with at least one access, exactly one permission for project robots, every access in
// Harbor's allowed list for its kind, namespaces that exist ("/" for system, a project or "*"),
// unique names (409). Names are stored unprefixed (`<project>+<name>` for project robots) and
// shown with the `robot$` prefix; `q=name=` filters on the stored name.
import type { components } from "@harbor-satellite/harbor";
import {
  badRequest,
  conflict,
  iso,
  matchesTerm,
  notFound,
  paginate,
  parseQuery,
  type ApiContext,
  type ApiRoute,
} from "./api-common.js";
import { allowedRobotAccess } from "./permissions.js";
import { generateSecret, isValidSecret, type RobotRecord } from "./state.js";

type Robot = components["schemas"]["Robot"];
type RobotCreate = components["schemas"]["RobotCreate"];
type RobotPermission = components["schemas"]["RobotPermission"];

const robotNameRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const maxInt32 = 2147483647;
const day = 86_400;

function toRobot(ctx: ApiContext, r: RobotRecord): Robot {
  return {
    id: r.id,
    name: ctx.state.fullName(r),
    description: r.description,
    expires_at: r.expiresAt,
    duration: r.duration,
    level: r.level,
    disable: r.disabled,
    editable: true,
    creator_type: "local",
    creator_ref: 1,
    creation_time: iso(r.creationTime),
    update_time: iso(r.updateTime),
    permissions: r.permissions.map((p) => ({
      kind: p.kind,
      namespace: p.namespace,
      access: (p.access ?? []).map((a) => ({ ...a })),
    })),
  };
}

function getRobot(ctx: ApiContext, id: unknown): RobotRecord {
  const robot = ctx.state.robots.get(Number(id));
  if (!robot) throw notFound(`robot ${String(id)} not found`);
  return robot;
}

/** The handler's `validate`: duration, level, permissions and their accesses. */
function validate(
  duration: number,
  level: string | undefined,
  permissions: RobotPermission[] | undefined,
): asserts level is "system" | "project" {
  if (!(duration === -1 || (duration > 0 && duration < maxInt32))) {
    throw badRequest(
      `bad request error duration input: ${duration}, duration must be either -1(Never) or a positive integer`,
    );
  }
  if (level !== "system" && level !== "project") throw badRequest(`bad request error level input: ${level ?? ""}`);
  if (!permissions || permissions.length === 0) throw badRequest("bad request empty permission");
  for (const perm of permissions)
    if (!perm?.access || perm.access.length === 0) throw badRequest("bad request empty access");
  if (level === "project" && permissions.length > 1) throw badRequest("bad request permission");
  for (const perm of permissions) {
    if (perm.kind !== "system" && perm.kind !== "project")
      throw badRequest(`bad request permission level: ${perm.kind ?? ""}`);
    for (const a of perm.access ?? []) {
      if (!allowedRobotAccess[perm.kind].has(`${a.resource}:${a.action}`)) {
        throw badRequest(`bad request permission: ${a.resource ?? ""}:${a.action ?? ""}`);
      }
    }
  }
}

/** The controller's `toScope`: every namespace must resolve. */
function checkScopes(ctx: ApiContext, permissions: RobotPermission[]): void {
  for (const p of permissions) {
    if (p.kind === "system" && p.namespace !== "/") throw badRequest("unknown namespace");
    if (p.kind === "project" && p.namespace !== "*" && !ctx.state.projects.has(p.namespace ?? "")) {
      throw notFound(`project ${p.namespace ?? ""} not found`);
    }
  }
}

function expiresAt(from: Date, duration: number): number {
  return duration === -1 ? -1 : Math.floor(from.getTime() / 1000) + duration * day;
}

export const robotRoutes: ApiRoute[] = [
  {
    operationId: "ListRobot",
    handler: (req, ctx) => {
      const q = parseQuery(req.params.q);
      const level = q.get("Level")?.value ?? "system";
      if (level !== "system" && level !== "project") throw badRequest("bad request error level input");
      let projectId = 0;
      if (level === "project") {
        const pid = q.get("ProjectID");
        if (!pid) throw badRequest("must with project ID when to query project robots");
        projectId = Number(pid.value);
        if (!/^\d+$/.test(pid.value) || projectId <= 0) throw badRequest("ProjectID must be a positive integer");
      }
      const robots = [...ctx.state.robots.values()]
        .filter((r) => r.projectId === projectId)
        .filter((r) => matchesTerm(q.get("name"), r.name))
        .sort((a, b) => a.id - b.id);
      const { page, headers } = paginate(robots, req);
      return { status: 200, body: page.map((r) => toRobot(ctx, r)), headers };
    },
  },
  {
    operationId: "CreateRobot",
    handler: (req, ctx) => {
      const body = req.body as RobotCreate;
      if (!robotNameRe.test(body.name ?? ""))
        throw badRequest("robot name is not in lower case or contains illegal characters");
      const duration = body.duration ?? 0;
      const permissions = body.permissions ?? [];
      validate(duration, body.level, permissions);
      let projectId = 0;
      let stored = body.name as string;
      if (body.level === "project") {
        const project = ctx.state.projects.get(permissions[0].namespace ?? "");
        if (!project) throw notFound(`project ${permissions[0].namespace ?? ""} not found`);
        projectId = project.id;
        stored = `${project.name}+${stored}`;
      }
      for (const r of ctx.state.robots.values()) {
        if (r.name === stored) throw conflict(`robot account ${stored} already exists`);
      }
      checkScopes(ctx, permissions);
      const now = new Date();
      const robot = ctx.state.addRobot({
        name: stored,
        description: body.description ?? "",
        level: body.level,
        duration,
        disabled: false, // Harbor's CreateRobot ignores `disable` (and `secret`)
        expiresAt: expiresAt(now, duration),
        permissions: structuredClone(permissions),
        projectId,
      });
      return {
        status: 201,
        headers: { Location: `${req.url.pathname.replace(/\/$/, "")}/${robot.id}` },
        body: {
          id: robot.id,
          name: ctx.state.fullName(robot),
          secret: robot.secret,
          creation_time: iso(robot.creationTime),
          expires_at: robot.expiresAt,
        },
      };
    },
  },
  {
    operationId: "GetRobotByID",
    handler: (req, ctx) => ({ status: 200, body: toRobot(ctx, getRobot(ctx, req.params.robot_id)) }),
  },
  {
    operationId: "UpdateRobot",
    handler: (req, ctx) => {
      const robot = getRobot(ctx, req.params.robot_id);
      const body = req.body as Robot;
      const duration = body.duration ?? robot.duration;
      const permissions = body.permissions ?? [];
      validate(duration, body.level, permissions);
      if (robot.level !== "system") {
        const project = ctx.state.projects.get(permissions[0].namespace ?? "");
        if (!project) throw notFound(`project ${permissions[0].namespace ?? ""} not found`);
        if (project.id !== robot.projectId) throw badRequest("cannot update the project id of robot");
      }
      if (body.level !== robot.level || body.name !== ctx.state.fullName(robot)) {
        throw badRequest("cannot update the level or name of robot");
      }
      checkScopes(ctx, permissions);
      if (duration !== robot.duration) {
        robot.duration = duration;
        robot.expiresAt = expiresAt(robot.creationTime, duration);
      }
      robot.description = body.description ?? "";
      robot.disabled = body.disable ?? false;
      robot.permissions = structuredClone(permissions);
      robot.updateTime = new Date();
      return { status: 200 };
    },
  },
  {
    operationId: "RefreshSec",
    handler: (req, ctx) => {
      const robot = getRobot(ctx, req.params.robot_id);
      const wanted = (req.body as { secret?: string }).secret ?? "";
      if (wanted !== "" && !isValidSecret(wanted)) {
        throw badRequest(
          "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number",
        );
      }
      // A chosen secret is stored and not echoed (Harbor's model omits the empty field); an empty
      // one asks Harbor to generate one and return it.
      robot.secret = wanted === "" ? generateSecret() : wanted;
      robot.updateTime = new Date();
      return { status: 200, body: wanted === "" ? { secret: robot.secret } : {} };
    },
  },
  {
    operationId: "DeleteRobot",
    handler: (req, ctx) => {
      const robot = getRobot(ctx, req.params.robot_id);
      ctx.state.robots.delete(robot.id);
      return { status: 200 };
    },
  },
];
