// Who is calling and what they may do, after Harbor's security contexts and RBAC:
// - admin (Basic with the admin account): everything;
// - robot (Basic `robot$name` + secret, enabled and unexpired): its permissions; a permission
//   `{kind:"project", namespace:P}` covers project P, namespace "*" every project; `push` also
//   grants `pull` (Harbor's filterRobotPolicies); `*` matches any resource or action;
// - token (Bearer from /service/token): the actions the token lists, keyed by project name;
// - anonymous (no or wrong credentials: Harbor falls back to it, it does not reject).
// Anyone but a token may pull from a public project (Harbor adds public-project policies to
// every user's RBAC, but a token carries only what it was issued with).
import type { EmulatorState, ProjectRecord, RobotRecord } from "./state.js";

export type RegistryAction = "pull" | "push" | "delete" | "scanner-pull";

export type Caller =
  | { kind: "admin"; name: string }
  | { kind: "robot"; name: string; robot: RobotRecord }
  | { kind: "token"; name: string; access: Map<string, Set<string>> }
  | { kind: "anonymous"; name: "" };

export const anonymous: Caller = { kind: "anonymous", name: "" };

/** Resolves Basic credentials; wrong ones give the anonymous caller, as in Harbor. */
export function callerFromBasic(
  state: EmulatorState,
  admin: { user: string; password: string },
  user: string,
  password: string,
): Caller {
  if (user === admin.user && password === admin.password) return { kind: "admin", name: user };
  const robot = state.authenticateRobot(user, password);
  return robot ? { kind: "robot", name: user, robot } : anonymous;
}

/** Harbor's IsAuthenticated; a token issued to an anonymous caller has an empty subject and is not. */
export function isAuthenticated(caller: Caller): boolean {
  return caller.kind !== "anonymous" && caller.name !== "";
}

/** May `caller` do `action` on the repositories of `project`? (Harbor: repository resource of the project namespace.) */
export function canRepository(caller: Caller, project: ProjectRecord, action: RegistryAction): boolean {
  switch (caller.kind) {
    case "admin":
      return true;
    case "token":
      return caller.access.get(project.name)?.has(action) ?? false;
    case "anonymous":
      return project.public && action === "pull";
    case "robot":
      return (project.public && action === "pull") || robotCan(caller.robot, project, "repository", action);
  }
}

/** `/v2/_catalog` needs the system `catalog:read` permission, which only admins and system robots granted it have. */
export function canCatalog(caller: Caller): boolean {
  if (caller.kind === "admin") return true;
  if (caller.kind !== "robot" || caller.robot.level !== "system") return false;
  return caller.robot.permissions.some(
    (p) =>
      p.kind === "system" && (p.access ?? []).some((a) => matches(a.resource, "catalog") && matches(a.action, "read")),
  );
}

function robotCan(robot: RobotRecord, project: ProjectRecord, resource: string, action: string): boolean {
  if (robot.level === "project" && robot.projectId !== project.id) return false;
  return robot.permissions.some((p) => {
    if (p.kind !== "project" || (p.namespace !== "*" && p.namespace !== project.name)) return false;
    return (p.access ?? []).some(
      (a) =>
        a.effect !== "deny" &&
        matches(a.resource, resource) &&
        (matches(a.action, action) || (action === "pull" && a.action === "push")),
    );
  });
}

function matches(granted: string | undefined, wanted: string): boolean {
  return granted === "*" || granted === wanted;
}

/**
 * The accesses Harbor accepts in robot permissions (rbac PoliciesMap), as `resource:action`.
 * CreateRobot and UpdateRobot answer 400 `bad request permission: r:a` for anything else.
 */
export const allowedRobotAccess: Record<"system" | "project", ReadonlySet<string>> = {
  system: new Set([
    "audit-log:list",
    ...crud("preheat-instance"),
    "project:list",
    "project:create",
    ...crud("replication-policy"),
    "replication:read",
    "replication:create",
    "replication:list",
    "replication-adapter:list",
    ...crud("registry"),
    "scan-all:read",
    "scan-all:update",
    "scan-all:stop",
    "scan-all:create",
    "system-volumes:read",
    ...["read", "create", "list", "update", "stop"].map((a) => `garbage-collection:${a}`),
    ...["read", "create", "list", "update", "stop"].map((a) => `purge-audit:${a}`),
    "jobservice-monitor:list",
    "jobservice-monitor:stop",
    ...crud("scanner"),
    ...["read", "create", "delete", "update"].map((a) => `label:${a}`),
    "security-hub:read",
    "security-hub:list",
    "catalog:read",
    "quota:read",
    "quota:list",
  ]),
  project: new Set([
    "log:list",
    "project:read",
    "project:delete",
    "project:update",
    ...crud("metadata"),
    ...["read", "update", "delete", "list", "pull", "push"].map((a) => `repository:${a}`),
    ...["read", "create", "list", "delete"].map((a) => `artifact:${a}`),
    "scan:create",
    "scan:read",
    "scan:stop",
    "sbom:create",
    "sbom:stop",
    "sbom:read",
    "tag:create",
    "tag:list",
    "tag:delete",
    "accessory:list",
    "artifact-addition:read",
    "artifact-label:create",
    "artifact-label:delete",
    "scanner:create",
    "scanner:read",
    ...crud("preheat-policy"),
    ...["create", "delete", "list", "update"].map((a) => `immutable-tag:${a}`),
    ...crud("notification-policy"),
    ...crud("tag-retention"),
    ...crud("label"),
    "quota:read",
  ]),
};

function crud(resource: string): string[] {
  return ["read", "create", "delete", "list", "update"].map((a) => `${resource}:${a}`);
}
