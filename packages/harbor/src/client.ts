// The Harbor calls Ground Control makes, on top of openapi-fetch and the generated types. Each call
// is one Harbor operation run inside an HTTP client span named `{method} {url.template}` (e.g.
// `PATCH /api/v2.0/robots/{robot_id}`) with `harbor.operation` = its operationId, answers a typed
// result, and throws HarborError for anything Harbor refused. Only the outcomes the caller treats
// as success are swallowed (HEAD 404 = absent, 409 on create = exists, 404 on delete = gone).
//
// Harbor facts this relies on (docs/spiffe-spire-harbor-apis.md §4, Harbor's handlers):
// - Basic auth on every request and no cookies, so Harbor's CSRF check does not apply.
// - Robot names come back prefixed (`robot$`), but `q=name=` filters on the stored, unprefixed name.
// - A repository name is URL-encoded twice in the path (`a/b` → `a%252Fb`).
// - `PATCH /robots/{id}` with `{"secret":""}` makes Harbor generate and return a new secret.
import { randomUUID } from "node:crypto";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/harbor-api.js";
import { HarborError } from "./harbor-error.js";
import { networkErrorType, recordHarborCall } from "./harbor-metrics.js";

export type Robot = components["schemas"]["Robot"];
export type RobotCreate = components["schemas"]["RobotCreate"];
export type RobotCreated = components["schemas"]["RobotCreated"];
export type RobotPermission = components["schemas"]["RobotPermission"];
export type Access = components["schemas"]["Access"];
export type Project = components["schemas"]["Project"];
export type Artifact = components["schemas"]["Artifact"];
export type OverallHealthStatus = components["schemas"]["OverallHealthStatus"];

export interface HarborClientOptions {
  /** Harbor's external URL, e.g. `https://harbor.example.com` (the client appends `/api/v2.0`). */
  url: string;
  username: string;
  password: string;
  /** Replaces globalThis.fetch, e.g. to add a dispatcher or to count calls in tests. */
  fetch?: (input: Request) => Promise<Response>;
}

export interface HarborClient {
  /** GET /health: the components' status; does not need credentials on Harbor. */
  health(): Promise<OverallHealthStatus>;
  /** HEAD /projects?project_name=: true when the project exists. */
  projectExists(name: string): Promise<boolean>;
  /** Creates the project unless it exists (HEAD, then POST; a 409 from a racing creator is fine). `created` tells which. */
  ensureProject(name: string, options: { public: boolean }): Promise<{ created: boolean }>;
  /** The system-level robot whose stored name is `name` (without the `robot$` prefix), if any. */
  findRobotByName(name: string): Promise<Robot | undefined>;
  /** POST /robots. The answer holds the only copy of the generated secret. */
  createRobot(robot: RobotCreate): Promise<RobotCreated>;
  getRobot(id: number): Promise<Robot>;
  /** PUT /robots/{id}. `robot.name` and `robot.level` must be the current ones (Harbor refuses to change them). */
  updateRobot(id: number, robot: Robot): Promise<void>;
  /** PATCH /robots/{id} with an empty secret: Harbor generates a new one and returns it. */
  refreshRobotSecret(id: number): Promise<string>;
  /** DELETE /robots/{id}; false when it was already gone. */
  deleteRobot(id: number): Promise<boolean>;
  /** DELETE a repository (`repo` excludes the project, may contain `/`); false when it was already gone. */
  deleteRepository(project: string, repo: string): Promise<boolean>;
  /** Every artifact of the repository with its tags, all pages. */
  listArtifacts(project: string, repo: string): Promise<Artifact[]>;
}

const tracerName = "harbor-client";
const maxPageSize = 100;

/** Creates a client bound to one Harbor and one account. */
export function createHarborClient(options: HarborClientOptions): HarborClient {
  const baseUrl = `${options.url.replace(/\/+$/, "")}/api/v2.0`;
  const parsedBase = new URL(baseUrl);
  const server = {
    address: parsedBase.hostname,
    port: Number(parsedBase.port) || (parsedBase.protocol === "https:" ? 443 : 80),
  };
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
  const client = createClient<paths>({
    baseUrl,
    headers: { Authorization: authorization },
    credentials: "omit",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  /**
   * Runs one Harbor operation in its span. `accept` lists the non-2xx statuses the caller handles
   * itself; any other non-2xx becomes a HarborError. The request body never reaches the span.
   */
  async function call<R extends { response: Response; error?: unknown }>(
    operation: string,
    method: string,
    template: string,
    run: (headers: { "X-Request-Id": string }) => Promise<R>,
    accept: readonly number[] = [],
  ): Promise<R> {
    const requestId = randomUUID();
    const urlTemplate = `/api/v2.0${template}`;
    return trace.getTracer(tracerName).startActiveSpan(
      `${method} ${urlTemplate}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "harbor.operation": operation,
          "http.request.method": method,
          "url.template": urlTemplate,
          "server.address": server.address,
          "server.port": server.port,
          "harbor.request_id": requestId,
        },
      },
      async (span) => {
        const started = performance.now();
        const outcome: Parameters<typeof recordHarborCall>[0] = { operation, method, template, server };
        try {
          let result: R;
          try {
            result = await run({ "X-Request-Id": requestId });
          } catch (cause) {
            outcome.errorType = networkErrorType(cause);
            throw HarborError.fromNetwork(operation, cause);
          }
          const { response } = result;
          outcome.status = response.status;
          span.setAttribute("http.response.status_code", response.status);
          if (response.url) span.setAttribute("url.path", new URL(response.url).pathname);
          if (!response.ok && !accept.includes(response.status)) {
            outcome.errorType = String(response.status);
            throw HarborError.fromResponse(operation, response.status, result.error);
          }
          return result;
        } catch (err) {
          outcome.errorType ??= "_OTHER";
          span.setAttribute("error.type", outcome.errorType);
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          recordHarborCall(outcome, (performance.now() - started) / 1000);
          span.end();
        }
      },
    );
  }

  /** A 2xx whose body the swagger promises but Harbor did not send is Harbor's fault, not ours. */
  function required<T>(operation: string, status: number, data: T | undefined): T {
    if (data === undefined || data === null) {
      throw new HarborError(operation, status, "UNKNOWN", "Harbor answered without the expected body");
    }
    return data;
  }

  const projectExists = async (name: string): Promise<boolean> => {
    const { response } = await call(
      "headProject",
      "HEAD",
      "/projects",
      (headers) => client.HEAD("/projects", { params: { query: { project_name: name }, header: headers } }),
      [404],
    );
    return response.status !== 404;
  };

  return {
    async health() {
      const { data, response } = await call("getHealth", "GET", "/health", (headers) =>
        client.GET("/health", { params: { header: headers } }),
      );
      return required("getHealth", response.status, data);
    },

    projectExists,

    async ensureProject(name, { public: isPublic }) {
      if (await projectExists(name)) return { created: false };
      const { response } = await call(
        "createProject",
        "POST",
        "/projects",
        (headers) =>
          client.POST("/projects", {
            params: { header: headers },
            // ProjectMetadata.public is a string "true" | "false" in Harbor's model.
            body: { project_name: name, metadata: { public: String(isPublic) } },
          }),
        [409],
      );
      return { created: response.status !== 409 };
    },

    async findRobotByName(name) {
      const { data, response } = await call("ListRobot", "GET", "/robots", (headers) =>
        client.GET("/robots", {
          params: { query: { q: `name=${name}`, page: 1, page_size: maxPageSize }, header: headers },
        }),
      );
      return required("ListRobot", response.status, data)[0];
    },

    async createRobot(robot) {
      const { data, response } = await call("CreateRobot", "POST", "/robots", (headers) =>
        client.POST("/robots", { params: { header: headers }, body: robot }),
      );
      return required("CreateRobot", response.status, data);
    },

    async getRobot(id) {
      const { data, response } = await call("GetRobotByID", "GET", "/robots/{robot_id}", (headers) =>
        client.GET("/robots/{robot_id}", { params: { path: { robot_id: id }, header: headers } }),
      );
      return required("GetRobotByID", response.status, data);
    },

    async updateRobot(id, robot) {
      await call("UpdateRobot", "PUT", "/robots/{robot_id}", (headers) =>
        client.PUT("/robots/{robot_id}", { params: { path: { robot_id: id }, header: headers }, body: robot }),
      );
    },

    async refreshRobotSecret(id) {
      const { data, response } = await call("RefreshSec", "PATCH", "/robots/{robot_id}", (headers) =>
        client.PATCH("/robots/{robot_id}", {
          params: { path: { robot_id: id }, header: headers },
          body: { secret: "" },
        }),
      );
      const secret = required("RefreshSec", response.status, data).secret;
      if (!secret)
        throw new HarborError("RefreshSec", response.status, "UNKNOWN", "Harbor returned no generated secret");
      return secret;
    },

    async deleteRobot(id) {
      const { response } = await call(
        "DeleteRobot",
        "DELETE",
        "/robots/{robot_id}",
        (headers) => client.DELETE("/robots/{robot_id}", { params: { path: { robot_id: id }, header: headers } }),
        [404],
      );
      return response.status !== 404;
    },

    async deleteRepository(project, repo) {
      const { response } = await call(
        "deleteRepository",
        "DELETE",
        "/projects/{project_name}/repositories/{repository_name}",
        (headers) =>
          client.DELETE("/projects/{project_name}/repositories/{repository_name}", {
            // openapi-fetch encodes path params once; Harbor wants repository names encoded twice.
            params: { path: { project_name: project, repository_name: encodeURIComponent(repo) }, header: headers },
          }),
        [404],
      );
      return response.status !== 404;
    },

    async listArtifacts(project, repo) {
      const all: Artifact[] = [];
      for (let page = 1; ; page++) {
        const { data, response } = await call(
          "listArtifacts",
          "GET",
          "/projects/{project_name}/repositories/{repository_name}/artifacts",
          (headers) =>
            client.GET("/projects/{project_name}/repositories/{repository_name}/artifacts", {
              params: {
                path: { project_name: project, repository_name: encodeURIComponent(repo) },
                query: { page, page_size: maxPageSize, with_tag: true },
                header: headers,
              },
            }),
        );
        const items = required("listArtifacts", response.status, data);
        all.push(...items);
        const total = response.headers.get("X-Total-Count");
        if (items.length < maxPageSize || (total !== null && all.length >= Number(total))) return all;
      }
    },
  };
}
