// Project and health endpoints of the emulator, through the typed client where it has a call,
// and raw requests for the rest of Harbor's answers.
import { createHarborClient, HarborError, type HarborClient } from "@harbor-satellite/harbor";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHarborEmulator, type HarborEmulator } from "./index.js";

describe("Harbor emulator: health and projects", () => {
  let emu: HarborEmulator;
  let harbor: HarborClient;
  let auth: Record<string, string>;
  beforeAll(async () => {
    emu = await startHarborEmulator({ adminUser: "boss", adminPassword: "S3cret-admin" });
    harbor = createHarborClient({ url: emu.url, username: "boss", password: "S3cret-admin" });
    auth = { authorization: `Basic ${Buffer.from("boss:S3cret-admin").toString("base64")}` };
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => emu?.stop());

  it("reports health in Harbor's shape, without credentials", async () => {
    const anonymous = createHarborClient({ url: emu.url, username: "", password: "" });
    const health = await anonymous.health();
    expect(health.status).toBe("healthy");
    expect(health.components?.map((c) => c.name)).toContain("registry");
  });

  it("echoes X-Request-Id", async () => {
    const res = await fetch(`${emu.url}/api/v2.0/health`, { headers: { "x-request-id": "req-42" } });
    expect(res.headers.get("x-request-id")).toBe("req-42");
  });

  it("creates a project once: HEAD, POST 201 with Location, then 409", async () => {
    expect(await harbor.projectExists("sat")).toBe(false);
    expect(await harbor.ensureProject("sat", { public: false })).toEqual({ created: true });
    expect(await harbor.projectExists("sat")).toBe(true);
    expect(await harbor.ensureProject("sat", { public: false })).toEqual({ created: false });

    const again = await fetch(`${emu.url}/api/v2.0/projects`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ project_name: "sat" }),
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { errors: { code: string }[] }).errors[0].code).toBe("CONFLICT");

    const created = await fetch(`${emu.url}/api/v2.0/projects`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "x-resource-name-in-location": "true" },
      body: JSON.stringify({ project_name: "named", metadata: { public: "true" } }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/api/v2.0/projects/named");
    expect(emu.state.projects.get("named")?.public).toBe(true);
  });

  it("stores publicity as Harbor's string metadata", async () => {
    await harbor.ensureProject("pub", { public: true });
    const res = await fetch(`${emu.url}/api/v2.0/projects/pub`, { headers: auth });
    const project = (await res.json()) as { name: string; metadata: { public: string }; repo_count: number };
    expect(project).toMatchObject({ name: "pub", metadata: { public: "true" }, repo_count: 0 });
  });

  it("reads project_name_or_id as an id unless X-Is-Resource-Name is true", async () => {
    await harbor.ensureProject("42", { public: false });
    const id = emu.state.projects.get("42")?.id;
    const byId = await fetch(`${emu.url}/api/v2.0/projects/${id}`, { headers: auth });
    expect(((await byId.json()) as { name: string }).name).toBe("42");
    const asId = await fetch(`${emu.url}/api/v2.0/projects/42`, { headers: auth });
    expect(asId.status).toBe(404);
    const asName = await fetch(`${emu.url}/api/v2.0/projects/42`, {
      headers: { ...auth, "x-is-resource-name": "true" },
    });
    expect(asName.status).toBe(200);
  });

  it("refuses illegal project names with 400", async () => {
    const err = await harbor.ensureProject("Not_Valid", { public: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarborError);
    expect(err).toMatchObject({ status: 400, code: "BAD_REQUEST", operation: "createProject" });
  });

  it("lists projects with paging, including Harbor's default `library`", async () => {
    const res = await fetch(`${emu.url}/api/v2.0/projects?page_size=100`, { headers: auth });
    const names = ((await res.json()) as { name: string }[]).map((p) => p.name);
    expect(names[0]).toBe("library");
    expect(names).toContain("sat");
    expect(Number(res.headers.get("x-total-count"))).toBe(names.length);
    const filtered = await fetch(`${emu.url}/api/v2.0/projects?name=pu&public=true`, { headers: auth });
    expect(((await filtered.json()) as { name: string }[]).map((p) => p.name)).toEqual(["pub"]);
  });

  it("deletes projects and the project robots in them", async () => {
    await harbor.ensureProject("tmp", { public: false });
    const robot = await harbor.createRobot({
      name: "r",
      level: "project",
      duration: -1,
      permissions: [{ kind: "project", namespace: "tmp", access: [{ resource: "repository", action: "pull" }] }],
    });
    const del = await fetch(`${emu.url}/api/v2.0/projects/tmp`, {
      method: "DELETE",
      headers: { ...auth, "x-is-resource-name": "true" },
    });
    expect(del.status).toBe(200);
    expect(await harbor.projectExists("tmp")).toBe(false);
    expect(emu.state.robots.has(robot.id as number)).toBe(false);
  });

  it("answers 401 without credentials and 403 to robots, in Harbor's error body", async () => {
    const none = await fetch(`${emu.url}/api/v2.0/projects`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] });
    await harbor.ensureProject("rb", { public: false });
    const robot = await harbor.createRobot({
      name: "rb",
      level: "system",
      duration: -1,
      permissions: [{ kind: "project", namespace: "rb", access: [{ resource: "project", action: "read" }] }],
    });
    const asRobot = createHarborClient({
      url: emu.url,
      username: robot.name as string,
      password: robot.secret as string,
    });
    await expect(asRobot.ensureProject("rb2", { public: false })).rejects.toMatchObject({
      status: 403,
      code: "FORBIDDEN",
    });
  });

  it("answers 422 for parameters that break the swagger, 501 for operations it does not emulate, 404 elsewhere", async () => {
    const badPage = await fetch(`${emu.url}/api/v2.0/projects?page=first`, { headers: auth });
    expect(badPage.status).toBe(422);
    expect(((await badPage.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(
      /page in query must be of type int64/,
    );
    const noName = await fetch(`${emu.url}/api/v2.0/projects`, { method: "HEAD", headers: auth });
    expect(noName.status).toBe(422);
    const gc = await fetch(`${emu.url}/api/v2.0/system/gc`, { headers: auth });
    expect(gc.status).toBe(501);
    const nowhere = await fetch(`${emu.url}/api/v2.0/nowhere`, { headers: auth });
    expect(nowhere.status).toBe(404);
  });

  it("answers 404 for repositories of a missing project, and an empty list without an upstream", async () => {
    await expect(harbor.listArtifacts("missing", "a/b")).rejects.toMatchObject({
      status: 404,
      operation: "listArtifacts",
    });
    expect(await harbor.deleteRepository("sat", "a/b")).toBe(false);
    const list = await fetch(`${emu.url}/api/v2.0/projects/sat/repositories`, { headers: auth });
    expect(await list.json()).toEqual([]);
  });
});
