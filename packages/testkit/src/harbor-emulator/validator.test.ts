// The validator must catch contract breaches, or the emulator tests' "no violations" would prove nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { SwaggerValidator } from "./validator.js";

describe("SwaggerValidator", () => {
  let v: SwaggerValidator;
  beforeAll(async () => {
    v = await SwaggerValidator.load();
  });

  it("binds parameters like go-swagger: typed values, defaults, limits", () => {
    const ok = v.bindParams("ListRobot", {
      path: {},
      query: new URLSearchParams("q=name%3Dx&page_size=5"),
      headers: {},
    });
    expect(ok).toEqual({ values: { q: "name=x", page: 1, page_size: 5 }, errors: [] });
    const bad = v.bindParams("GetRobotByID", {
      path: { robot_id: "seven" },
      query: new URLSearchParams(),
      headers: { "x-request-id": "" },
    });
    expect(bad.errors).toEqual([
      "X-Request-Id in header must NOT have fewer than 1 characters",
      'robot_id in path must be of type int64: "seven"',
    ]);
    const flags = v.bindParams("listArtifacts", {
      path: { project_name: "p", repository_name: "r" },
      query: new URLSearchParams("with_tag=f"),
      headers: {},
    });
    expect(flags.values.with_tag).toBe(false);
  });

  it("checks request bodies against the operation's schema", () => {
    expect(v.validateBody("CreateRobot", { name: "x", duration: 1, permissions: [] })).toEqual([]);
    expect(v.validateBody("CreateRobot", undefined)).toEqual(["body in body is required"]);
    expect(v.validateBody("createProject", { project_name: "x".repeat(256) })).toEqual([
      "body.project_name must NOT have more than 255 characters",
    ]);
  });

  it("reports responses that break the contract", () => {
    expect(
      v.checkResponse("CreateRobot", 201, {
        id: 1,
        name: "robot$x",
        secret: "s",
        creation_time: "2024-01-01T00:00:00Z",
        expires_at: -1,
      }),
    ).toBeUndefined();
    expect(v.checkResponse("CreateRobot", 201, { id: "1" })).toMatch(/response\.id must be integer/);
    expect(v.checkResponse("CreateRobot", 201, { creation_time: "yesterday" })).toMatch(
      /must match format "date-time"/,
    );
    expect(v.checkResponse("CreateRobot", 200, {})).toMatch(/status not declared/);
    expect(v.checkResponse("DeleteRobot", 200, { deleted: true })).toMatch(
      /sent a body where the swagger declares none/,
    );
    expect(v.checkResponse("GetRobotByID", 200, undefined)).toMatch(/no body where the swagger declares one/);
    // Harbor's error responder may answer statuses the swagger omits (409 on CreateRobot), but only with `Errors`.
    expect(v.checkResponse("CreateRobot", 409, { errors: [{ code: "CONFLICT", message: "exists" }] })).toBeUndefined();
    expect(v.checkResponse("CreateRobot", 409, { errors: "exists" })).toMatch(/response\.errors must be array/);
    expect(v.checkResponse("headProject", 200, undefined)).toBeUndefined();
  });

  it("knows only the swagger's operations", () => {
    expect(() => v.operation("MakeCoffee")).toThrow(/not in Harbor's swagger/);
    expect(v.operation("RefreshSec")).toMatchObject({ method: "patch", path: "/robots/{robot_id}" });
  });
});
