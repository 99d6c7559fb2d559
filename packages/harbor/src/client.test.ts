// The client against the Harbor emulator (which checks every request and answer against the
// swagger) plus a recording fetch for what only the wire shows: auth header, request ids, the
// double-encoded repository name, spans without secrets, errors from non-Harbor answers.
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { startHarborEmulator, type HarborEmulator } from "@harbor-satellite/testkit/harbor-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarborClient, HarborError, NETWORK_ERROR_CODE, type HarborClient } from "./index.js";

describe("createHarborClient", () => {
  const exporter = new InMemorySpanExporter();
  let emu: HarborEmulator;
  let harbor: HarborClient;
  let sent: Request[];

  beforeAll(async () => {
    trace.disable();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    emu = await startHarborEmulator({ adminUser: "admin", adminPassword: "Adm1n-pass" });
    harbor = createHarborClient({
      url: `${emu.url}/`,
      username: "admin",
      password: "Adm1n-pass",
      fetch: async (request) => {
        sent.push(request.clone());
        return fetch(request);
      },
    });
  });
  beforeEach(() => {
    sent = [];
    exporter.reset();
  });
  afterEach(() => expect(emu.violations()).toEqual([]));
  afterAll(async () => {
    await emu?.stop();
    trace.disable();
  });

  it("sends Basic auth, a fresh X-Request-Id and no cookie on every call", async () => {
    await harbor.health();
    await harbor.projectExists("library");
    expect(sent).toHaveLength(2);
    for (const r of sent) {
      expect(r.headers.get("authorization")).toBe(`Basic ${Buffer.from("admin:Adm1n-pass").toString("base64")}`);
      expect(r.headers.get("cookie")).toBeNull();
      expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(sent[0].headers.get("x-request-id")).not.toBe(sent[1].headers.get("x-request-id"));
    expect(new URL(sent[1].url).pathname).toBe("/api/v2.0/projects");
  });

  it("runs each call in a `{method} {url.template}` client span with the operation, method, server and status", async () => {
    await harbor.ensureProject("traced", { public: false });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["HEAD /api/v2.0/projects", "POST /api/v2.0/projects"]);
    expect(spans.map((s) => s.kind)).toEqual([SpanKind.CLIENT, SpanKind.CLIENT]);
    // HEAD's 404 (absent) is an answer the caller handles: no error.
    expect(spans[0].attributes["http.response.status_code"]).toBe(404);
    expect(spans[0].attributes["error.type"]).toBeUndefined();
    expect(spans[0].status.code).not.toBe(SpanStatusCode.ERROR);
    expect(spans[1].attributes).toMatchObject({
      "server.address": new URL(emu.url).hostname,
      "server.port": Number(new URL(emu.url).port),
      "harbor.operation": "createProject",
      "http.request.method": "POST",
      "url.template": "/api/v2.0/projects",
      "url.path": "/api/v2.0/projects",
      "http.response.status_code": 201,
    });
    expect(spans[1].attributes["harbor.request_id"]).toBe(sent[1].headers.get("x-request-id"));
  });

  it("marks a refused call's span with error.type = the status and status ERROR", async () => {
    await expect(harbor.getRobot(987654)).rejects.toThrow();
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe("GET /api/v2.0/robots/{robot_id}");
    expect(span.attributes).toMatchObject({
      "harbor.operation": "GetRobotByID",
      "http.response.status_code": 404,
      "error.type": "404",
    });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("keeps secrets out of spans", async () => {
    await harbor.ensureProject("secretive", { public: false });
    const robot = await harbor.createRobot({
      name: "quiet",
      level: "system",
      duration: -1,
      permissions: [{ kind: "project", namespace: "secretive", access: [{ resource: "repository", action: "pull" }] }],
    });
    const rotated = await harbor.refreshRobotSecret(robot.id as number);
    const dump = JSON.stringify(
      exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
    );
    for (const secret of [
      robot.secret as string,
      rotated,
      "Adm1n-pass",
      Buffer.from("admin:Adm1n-pass").toString("base64"),
    ]) {
      expect(dump).not.toContain(secret);
    }
  });

  it("records a failed call on its span and throws HarborError with Harbor's code and message", async () => {
    const err = await harbor.getRobot(424242).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarborError);
    expect(err).toMatchObject({
      operation: "GetRobotByID",
      status: 404,
      code: "NOT_FOUND",
      rawMessage: "robot 424242 not found",
    });
    expect((err as Error).message).toBe("[GetRobotByID 404 NOT_FOUND] robot 424242 not found");
    const [span] = exporter.getFinishedSpans();
    expect(span.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span.events.map((e) => e.name)).toContain("exception");
  });

  it("encodes repository names twice and treats a missing repository as deleted", async () => {
    await harbor.ensureProject("state", { public: false });
    expect(await harbor.deleteRepository("state", "group-state/g1/state")).toBe(false);
    const del = sent.find((r) => r.method === "DELETE");
    expect(new URL(del!.url).pathname).toBe("/api/v2.0/projects/state/repositories/group-state%252Fg1%252Fstate");
  });

  it("reports non-Harbor error bodies and network failures as HarborError too", async () => {
    const proxyError = createHarborClient({
      url: "http://harbor.invalid",
      username: "u",
      password: "p",
      fetch: async () =>
        new Response("<html>bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }),
    });
    await expect(proxyError.health()).rejects.toMatchObject({
      status: 502,
      code: "UNKNOWN",
      rawMessage: "<html>bad gateway</html>",
    });

    const down = createHarborClient({ url: "http://127.0.0.1:1", username: "u", password: "p" });
    const err = await down.health().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: NETWORK_ERROR_CODE, operation: "getHealth" });
    expect((err as Error).cause).toBeDefined();
  });

  it("treats a 409 from a racing creator as an existing project", async () => {
    await harbor.ensureProject("raced", { public: true });
    // The HEAD says "absent" (as if another creator had not finished yet); the POST then meets the winner.
    const racing = createHarborClient({
      url: emu.url,
      username: "admin",
      password: "Adm1n-pass",
      fetch: async (request) => (request.method === "HEAD" ? new Response(null, { status: 404 }) : fetch(request)),
    });
    expect(await racing.ensureProject("raced", { public: true })).toEqual({ created: false });
  });

  it("throws 404 for the artifacts of an unknown repository", async () => {
    await expect(harbor.listArtifacts("state", "nothing/here")).rejects.toMatchObject({
      status: 404,
      code: "NOT_FOUND",
    });
  });

  it("pages through every artifact page, 100 at a time", async () => {
    const pages: string[] = [];
    const paged = createHarborClient({
      url: "http://harbor.invalid",
      username: "u",
      password: "p",
      fetch: async (request) => {
        const url = new URL(request.url);
        pages.push(url.search);
        const page = Number(url.searchParams.get("page"));
        const count = page === 1 ? 100 : 1;
        const items = Array.from({ length: count }, (_, i) => ({ digest: `sha256:${page}-${i}` }));
        return Response.json(items, { headers: { "X-Total-Count": "101" } });
      },
    });
    const all = await paged.listArtifacts("p", "r");
    expect(all).toHaveLength(101);
    expect(pages).toEqual(["?page=1&page_size=100&with_tag=true", "?page=2&page_size=100&with_tag=true"]);
  });
});
