// Projects: headProject, createProject, listProjects, getProject, deleteProject, with Harbor's
// answers (201 + Location, 409 on a taken name, 412 when deleting a project that still has
// repositories, `project_name_or_id` read as an id unless X-Is-Resource-Name says otherwise).
import type { components } from "@harbor-satellite/harbor";
import {
  ApiError,
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
import type { ProjectRecord } from "./state.js";

type ProjectReq = components["schemas"]["ProjectReq"];
type Project = components["schemas"]["Project"];

/** Harbor's project name rule (1–255 characters, lower case, separators inside only). */
const projectNameRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Repositories of a project that hold at least one tag in the upstream registry. */
export async function projectRepositories(ctx: ApiContext, project: string): Promise<string[]> {
  if (!ctx.upstream) return [];
  const names = (await ctx.upstream.catalog()).filter((r) => r.startsWith(`${project}/`));
  const live: string[] = [];
  for (const name of names) if ((await ctx.upstream.tags(name)).length > 0) live.push(name);
  return live;
}

async function toProject(ctx: ApiContext, p: ProjectRecord): Promise<Project> {
  return {
    project_id: p.id,
    owner_id: 1,
    name: p.name,
    creation_time: iso(p.creationTime),
    update_time: iso(p.updateTime),
    deleted: false,
    owner_name: "admin",
    togglable: true,
    current_user_role_id: 1,
    current_user_role_ids: [1],
    repo_count: (await projectRepositories(ctx, p.name)).length,
    metadata: { ...p.metadata },
    cve_allowlist: {
      id: p.id,
      project_id: p.id,
      items: [],
      creation_time: iso(p.creationTime),
      update_time: iso(p.updateTime),
    },
  };
}

function lookup(ctx: ApiContext, nameOrId: unknown, isName: unknown): ProjectRecord {
  const project = ctx.state.projectByNameOrId(String(nameOrId), isName === true);
  if (!project) throw notFound(`project ${String(nameOrId)} not found`);
  return project;
}

export const projectRoutes: ApiRoute[] = [
  {
    operationId: "headProject",
    handler: (req, ctx) => {
      if (!ctx.state.projects.has(String(req.params.project_name)))
        throw notFound(`project ${String(req.params.project_name)} not found`);
      return { status: 200 };
    },
  },
  {
    operationId: "createProject",
    handler: (req, ctx) => {
      const body = req.body as ProjectReq;
      const name = body.project_name ?? "";
      if (!projectNameRe.test(name)) {
        throw badRequest("project name is not in lower case or contains illegal characters");
      }
      if (body.registry_id != null) throw badRequest("the Harbor emulator has no proxy-cache projects (registry_id)");
      if (ctx.state.projects.has(name)) throw conflict(`The project named ${name} already exists`);
      // The deprecated boolean `public` wins when given; otherwise metadata.public ("true"/"false").
      const isPublic = body.public ?? body.metadata?.public === "true";
      const metadata = Object.fromEntries(
        Object.entries(body.metadata ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
      const project = ctx.state.addProject(name, isPublic, metadata, body.storage_limit ?? -1);
      const byName = req.params["X-Resource-Name-In-Location"] === true;
      return { status: 201, headers: { Location: `/api/v2.0/projects/${byName ? project.name : project.id}` } };
    },
  },
  {
    operationId: "listProjects",
    handler: async (req, ctx) => {
      const q = parseQuery(req.params.q);
      const nameTerm = req.params.name !== undefined ? { value: String(req.params.name), fuzzy: true } : q.get("name");
      const projects = [...ctx.state.projects.values()]
        .filter((p) => matchesTerm(nameTerm, p.name))
        .filter((p) => req.params.public === undefined || p.public === req.params.public)
        .filter(() => req.params.owner === undefined || req.params.owner === "admin")
        .sort((a, b) => a.id - b.id);
      const { page, headers } = paginate(projects, req);
      const body: Project[] = [];
      for (const p of page) body.push(await toProject(ctx, p));
      return { status: 200, body, headers };
    },
  },
  {
    operationId: "getProject",
    handler: async (req, ctx) => ({
      status: 200,
      body: await toProject(ctx, lookup(ctx, req.params.project_name_or_id, req.params["X-Is-Resource-Name"])),
    }),
  },
  {
    operationId: "deleteProject",
    handler: async (req, ctx) => {
      const project = lookup(ctx, req.params.project_name_or_id, req.params["X-Is-Resource-Name"]);
      if ((await projectRepositories(ctx, project.name)).length > 0) {
        throw new ApiError(
          412,
          "PRECONDITION",
          `the project ${project.name} contains repositories, can not be deleted`,
        );
      }
      ctx.state.projects.delete(project.name);
      // Harbor removes the project's robots and stops listing permissions on the gone project.
      for (const [id, robot] of ctx.state.robots) {
        if (robot.projectId === project.id) ctx.state.robots.delete(id);
        else
          robot.permissions = robot.permissions.filter((p) => !(p.kind === "project" && p.namespace === project.name));
      }
      return { status: 200 };
    },
  },
];
