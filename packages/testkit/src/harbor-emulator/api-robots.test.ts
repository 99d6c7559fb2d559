// Robot endpoints of the emulator, driven by the typed Harbor client (so this also checks the
// client against the swagger contract), plus raw requests for what the client never sends.
import { createHarborClient, HarborError, type HarborClient, type RobotCreate } from "@harbor-satellite/harbor";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHarborEmulator, type HarborEmulator } from "./index.js";

const pullPerms = (namespace: string): RobotCreate["permissions"] => [
  {
    kind: "project",
    namespace,
    access: [
      { resource: "repository", action: "pull" },
      { resource: "artifact", action: "read" },
    ],
  },
];

describe("Harbor emulator: robots", () => {
  let emu: HarborEmulator;
  let harbor: HarborClient;
  beforeAll(async () => {
    emu = await startHarborEmulator({ adminUser: "admin", adminPassword: "Harbor12345" });
    harbor = createHarborClient({ url: emu.url, username: "admin", password: "Harbor12345" });
    await harbor.ensureProject("edge", { public: false });
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => emu?.stop());

  const rejection = async (p: Promise<unknown>): Promise<HarborError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HarborError);
    return err as HarborError;
  };

  it("creates a system robot with a generated secret and the robot$ prefix", async () => {
    const created = await harbor.createRobot({
      name: "sat-alpha",
      description: "managed by ground-control",
      level: "system",
      duration: -1,
      secret: "ignored-by-harbor",
      permissions: pullPerms("edge"),
    });
    expect(created.name).toBe("robot$sat-alpha");
    expect(created.expires_at).toBe(-1);
    expect(created.secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(created.secret).not.toBe("ignored-by-harbor");
    const stored = emu.state.robots.get(created.id as number);
    expect(stored?.name).toBe("sat-alpha");
    expect(stored?.secret).toBe(created.secret);

    const robot = await harbor.getRobot(created.id as number);
    expect(robot).toMatchObject({
      name: "robot$sat-alpha",
      level: "system",
      duration: -1,
      disable: false,
      editable: true,
    });
    expect(robot.permissions).toEqual(pullPerms("edge"));
    expect(robot).not.toHaveProperty("secret");
  });

  it("computes expires_at from a duration in days", async () => {
    const before = Math.floor(Date.now() / 1000);
    const created = await harbor.createRobot({
      name: "sat-days",
      level: "system",
      duration: 30,
      permissions: pullPerms("edge"),
    });
    expect(created.expires_at).toBeGreaterThanOrEqual(before + 30 * 86400);
    expect(created.expires_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 30 * 86400);
  });

  it("finds robots by their unprefixed stored name only", async () => {
    const created = await harbor.createRobot({
      name: "sat-find",
      level: "system",
      duration: -1,
      permissions: pullPerms("edge"),
    });
    expect((await harbor.findRobotByName("sat-find"))?.id).toBe(created.id);
    expect(await harbor.findRobotByName("robot$sat-find")).toBeUndefined();
    expect(await harbor.findRobotByName("sat-fin")).toBeUndefined();
  });

  it("answers 409 for a duplicate name", async () => {
    await harbor.createRobot({ name: "sat-dup", level: "system", duration: -1, permissions: pullPerms("edge") });
    const err = await rejection(
      harbor.createRobot({ name: "sat-dup", level: "system", duration: -1, permissions: pullPerms("edge") }),
    );
    expect(err).toMatchObject({ status: 409, code: "CONFLICT", operation: "CreateRobot" });
  });

  it.each([
    [
      "an illegal name",
      { name: "Sat_Bad", level: "system", duration: -1, permissions: pullPerms("edge") },
      /robot name/,
    ],
    ["duration 0", { name: "d0", level: "system", duration: 0, permissions: pullPerms("edge") }, /duration input: 0/],
    [
      "duration -2",
      { name: "d2", level: "system", duration: -2, permissions: pullPerms("edge") },
      /duration input: -2/,
    ],
    [
      "an unknown level",
      { name: "lv", level: "global", duration: -1, permissions: pullPerms("edge") },
      /level input: global/,
    ],
    ["no permission", { name: "np", level: "system", duration: -1, permissions: [] }, /empty permission/],
    [
      "a permission without access",
      { name: "na", level: "system", duration: -1, permissions: [{ kind: "project", namespace: "edge", access: [] }] },
      /empty access/,
    ],
    [
      "an access Harbor does not know",
      {
        name: "ua",
        level: "system",
        duration: -1,
        permissions: [{ kind: "project", namespace: "edge", access: [{ resource: "repository", action: "fly" }] }],
      },
      /permission: repository:fly/,
    ],
    [
      "an unknown kind",
      {
        name: "uk",
        level: "system",
        duration: -1,
        permissions: [{ kind: "team", namespace: "edge", access: [{ resource: "repository", action: "pull" }] }],
      },
      /permission level: team/,
    ],
    [
      "two permissions on a project robot",
      { name: "pp", level: "project", duration: -1, permissions: [...pullPerms("edge")!, ...pullPerms("edge")!] },
      /bad request permission/,
    ],
  ] as [string, RobotCreate, RegExp][])("refuses %s with 400", async (_what, body, message) => {
    const err = await rejection(harbor.createRobot(body));
    expect(err.status).toBe(400);
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.rawMessage).toMatch(message);
  });

  it("answers 404 for a permission on a missing project", async () => {
    const err = await rejection(
      harbor.createRobot({ name: "ghost", level: "system", duration: -1, permissions: pullPerms("nope") }),
    );
    expect(err).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("refuses a body that breaks the swagger's types with 422, as go-swagger's binder does", async () => {
    const res = await fetch(`${emu.url}/api/v2.0/robots`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from("admin:Harbor12345").toString("base64")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ name: "typed", level: "system", duration: "forever", permissions: [] }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0].code).toBe("UNPROCESSABLE_ENTITY");
    expect(body.errors[0].message).toMatch(/duration must be integer/);
  });

  it("stores project robots as <project>+<name> and lists them only with Level=project", async () => {
    const created = await harbor.createRobot({
      name: "ci",
      level: "project",
      duration: -1,
      permissions: pullPerms("edge"),
    });
    expect(created.name).toBe("robot$edge+ci");
    expect(await harbor.findRobotByName("ci")).toBeUndefined();
    const projectId = emu.state.projects.get("edge")?.id;
    const res = await fetch(
      `${emu.url}/api/v2.0/robots?q=${encodeURIComponent(`Level=project,ProjectID=${projectId}`)}`,
      {
        headers: { authorization: `Basic ${Buffer.from("admin:Harbor12345").toString("base64")}` },
      },
    );
    const list = (await res.json()) as { name: string }[];
    expect(list.map((r) => r.name)).toEqual(["robot$edge+ci"]);
  });

  it("pages the robot list with X-Total-Count and Link", async () => {
    for (const n of ["pg-1", "pg-2", "pg-3"])
      await harbor.createRobot({ name: n, level: "system", duration: -1, permissions: pullPerms("edge") });
    const auth = { authorization: `Basic ${Buffer.from("admin:Harbor12345").toString("base64")}` };
    const res = await fetch(`${emu.url}/api/v2.0/robots?q=${encodeURIComponent("name=~pg-")}&page=2&page_size=2`, {
      headers: auth,
    });
    expect(res.headers.get("x-total-count")).toBe("3");
    expect(res.headers.get("link")).toContain('rel="prev"');
    expect(((await res.json()) as { name: string }[]).map((r) => r.name)).toEqual(["robot$pg-3"]);
    const tooBig = await fetch(`${emu.url}/api/v2.0/robots?page_size=101`, { headers: auth });
    expect(tooBig.status).toBe(422);
  });

  it("updates description, disable, duration and permissions but not name or level", async () => {
    await harbor.ensureProject("other", { public: false });
    const created = await harbor.createRobot({
      name: "sat-upd",
      level: "system",
      duration: 10,
      permissions: pullPerms("edge"),
    });
    const robot = await harbor.getRobot(created.id as number);
    await harbor.updateRobot(created.id as number, {
      ...robot,
      description: "now two projects",
      disable: true,
      duration: -1,
      permissions: [...pullPerms("edge")!, ...pullPerms("other")!],
    });
    const after = await harbor.getRobot(created.id as number);
    expect(after).toMatchObject({ description: "now two projects", disable: true, duration: -1, expires_at: -1 });
    expect(after.permissions?.map((p) => p.namespace)).toEqual(["edge", "other"]);

    const renamed = await rejection(harbor.updateRobot(created.id as number, { ...after, name: "robot$other-name" }));
    expect(renamed).toMatchObject({ status: 400, rawMessage: "cannot update the level or name of robot" });
    const missing = await rejection(harbor.updateRobot(9999, after));
    expect(missing).toMatchObject({ status: 404, operation: "UpdateRobot" });
  });

  it("refreshes the secret: empty body → a new generated secret; a chosen one is checked and not echoed", async () => {
    const created = await harbor.createRobot({
      name: "sat-rot",
      level: "system",
      duration: -1,
      permissions: pullPerms("edge"),
    });
    const fresh = await harbor.refreshRobotSecret(created.id as number);
    expect(fresh).not.toBe(created.secret);
    expect(emu.state.robots.get(created.id as number)?.secret).toBe(fresh);

    const auth = {
      authorization: `Basic ${Buffer.from("admin:Harbor12345").toString("base64")}`,
      "content-type": "application/json",
    };
    const weak = await fetch(`${emu.url}/api/v2.0/robots/${created.id}`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ secret: "weak" }),
    });
    expect(weak.status).toBe(400);
    const chosen = await fetch(`${emu.url}/api/v2.0/robots/${created.id}`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ secret: "Chosen1234" }),
    });
    expect(chosen.status).toBe(200);
    expect(await chosen.json()).toEqual({});
    expect(emu.state.robots.get(created.id as number)?.secret).toBe("Chosen1234");
  });

  it("deletes robots; deleting a gone robot is fine for the client", async () => {
    const created = await harbor.createRobot({
      name: "sat-del",
      level: "system",
      duration: -1,
      permissions: pullPerms("edge"),
    });
    expect(await harbor.deleteRobot(created.id as number)).toBe(true);
    expect(await harbor.deleteRobot(created.id as number)).toBe(false);
    const err = await rejection(harbor.getRobot(created.id as number));
    expect(err).toMatchObject({ status: 404, code: "NOT_FOUND", operation: "GetRobotByID" });
  });

  it("refuses robot credentials on the robot API (403) and anonymous callers (401)", async () => {
    const created = await harbor.createRobot({
      name: "sat-api",
      level: "system",
      duration: -1,
      permissions: pullPerms("edge"),
    });
    const asRobot = createHarborClient({
      url: emu.url,
      username: created.name as string,
      password: created.secret as string,
    });
    expect(await rejection(asRobot.findRobotByName("sat-api"))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const wrong = createHarborClient({ url: emu.url, username: "admin", password: "wrong" });
    expect(await rejection(wrong.getRobot(created.id as number))).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });
});
