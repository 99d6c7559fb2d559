// The emulated Harbor: one node:http server on a free loopback port with three faces, as Harbor's
// core has — the REST API under /api/v2.0 (route families in api-*.ts, checked against the
// swagger by validator.ts), the registry under /v2/ (registry-proxy.ts) and the token service
// (token-service.ts). The API order follows Harbor: go-swagger binds and validates parameters and
// body first (422), then the handler checks the caller (401 anonymous, 403 robot) and does the work.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, type ApiContext, type ApiResponse, type ApiRoute } from "./api-common.js";
import { projectRoutes } from "./api-projects.js";
import { repositoryRoutes } from "./api-repositories.js";
import { robotRoutes } from "./api-robots.js";
import { anonymous, callerFromBasic, type Caller } from "./permissions.js";
import { ReferrersIndex } from "./referrers.js";
import { createRegistryProxy } from "./registry-proxy.js";
import { EmulatorState } from "./state.js";
import { TokenService } from "./token-service.js";
import { Upstream } from "./upstream.js";
import { SwaggerValidator, type OperationSpec } from "./validator.js";

export interface HarborEmulatorOptions {
  /** Harbor's admin account (default `admin` / `Harbor12345`, Harbor's installer defaults). */
  adminUser?: string;
  adminPassword?: string;
  /** The docker-registry that holds the images (e.g. from startDockerRegistry); without it /v2/ answers 503 and projects have no repositories. */
  upstream?: { url: string };
  /** Serve the OCI 1.1 referrers API as Harbor ≥ 2.8 does (default: off, the upstream answers: docker-registry 2.8 has none). */
  referrersApi?: boolean;
  /** Where to listen (default 127.0.0.1 and a free port). */
  host?: string;
  port?: number;
}

export interface HarborEmulator {
  /** `http://127.0.0.1:<port>`: Harbor's external URL (API at /api/v2.0, registry at /v2/). */
  url: string;
  /** `127.0.0.1:<port>`, as image references spell it. */
  host: string;
  port: number;
  /** Projects and robots (with plain secrets), to assert on or to seed. */
  state: EmulatorState;
  /** Swagger contract breaches in the emulator's own answers; tests assert this stays empty. */
  violations(): string[];
  stop(): Promise<void>;
}

const apiPrefix = "/api/v2.0";
const maxBody = 1 << 20;

const healthRoute: ApiRoute = {
  operationId: "getHealth",
  auth: "none",
  handler: () => ({
    status: 200,
    body: {
      status: "healthy",
      components: ["core", "database", "jobservice", "portal", "redis", "registry", "registryctl"].map((name) => ({
        name,
        status: "healthy",
      })),
    },
  }),
};

interface CompiledRoute {
  spec: OperationSpec;
  pattern: RegExp;
  route?: ApiRoute;
}

export async function startHarborEmulator(options: HarborEmulatorOptions = {}): Promise<HarborEmulator> {
  const admin = { user: options.adminUser ?? "admin", password: options.adminPassword ?? "Harbor12345" };
  const validator = await SwaggerValidator.load();
  const state = new EmulatorState();
  const ctx: ApiContext = { state, upstream: options.upstream ? new Upstream(options.upstream.url) : undefined };
  const tokens = new TokenService(state);
  const registry = createRegistryProxy({
    state,
    upstreamUrl: options.upstream?.url,
    referrers: options.referrersApi ? new ReferrersIndex() : undefined,
  });
  const violations: string[] = [];
  const routes = compileRoutes(validator, [healthRoute, ...projectRoutes, ...robotRoutes, ...repositoryRoutes]);

  function callerOf(req: IncomingMessage): Caller {
    const auth = req.headers.authorization ?? "";
    const [scheme, value = ""] = auth.split(" ", 2);
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return colon < 0 ? anonymous : callerFromBasic(state, admin, decoded.slice(0, colon), decoded.slice(colon + 1));
    }
    if (/^bearer$/i.test(scheme)) return tokens.verify(value);
    return anonymous;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = firstHeader(req.headers["x-request-id"]) || randomUUID();
    const path = url.pathname.slice(apiPrefix.length) || "/";
    const method = (req.method ?? "GET").toLowerCase();
    const candidates = routes.filter((r) => r.pattern.test(path));
    const match = candidates.find((r) => r.spec.method === method);
    let answer: ApiResponse;
    if (!match) {
      answer = errorAnswer(
        candidates.length > 0
          ? new ApiError(405, "METHOD_NOT_ALLOWED", `method ${req.method} is not allowed`)
          : new ApiError(404, "NOT_FOUND", `${path} not found`),
      );
    } else if (!match.route) {
      answer = errorAnswer(
        new ApiError(501, "NOT_IMPLEMENTED", `the Harbor emulator does not implement ${match.spec.operationId}`),
      );
    } else {
      answer = await runRoute(req, url, path, match as Required<CompiledRoute>);
      const violation = validator.checkResponse(match.spec.operationId, answer.status, answer.body);
      if (violation) violations.push(violation);
    }
    const headers: Record<string, string> = { "X-Request-Id": requestId, ...answer.headers };
    if (answer.body !== undefined) headers["Content-Type"] = "application/json";
    res.writeHead(answer.status, headers);
    res.end(answer.body !== undefined && method !== "head" ? JSON.stringify(answer.body) : undefined);
  }

  async function runRoute(
    req: IncomingMessage,
    url: URL,
    path: string,
    match: Required<CompiledRoute>,
  ): Promise<ApiResponse> {
    const { spec, route } = match;
    const rawPath = match.pattern.exec(path)?.groups ?? {};
    const pathParams: Record<string, string> = {};
    for (const [name, raw] of Object.entries(rawPath)) {
      pathParams[name] = decodeURIComponent(raw);
      // The swagger asks for repository names with '/' to be encoded twice; one decode must not reveal a '/'.
      if (name === "repository_name" && pathParams[name].includes("/")) {
        return errorAnswer(
          new ApiError(404, "NOT_FOUND", `repository ${pathParams[name]} not found: encode '/' twice`),
        );
      }
    }
    const bound = validator.bindParams(spec.operationId, {
      path: pathParams,
      query: url.searchParams,
      headers: req.headers,
    });
    const errors = [...bound.errors];
    let body: unknown;
    if (spec.body) {
      let text: string;
      try {
        text = await readBody(req);
      } catch (err) {
        if (err instanceof ApiError) return errorAnswer(err);
        throw err;
      }
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch (err) {
          errors.push(
            `parsing body from ${JSON.stringify(text.slice(0, 64))} failed, because ${(err as Error).message}`,
          );
        }
      }
      if (errors.length === 0) errors.push(...validator.validateBody(spec.operationId, body));
    } else req.resume();
    if (errors.length > 0)
      return errorAnswer(new ApiError(422, "UNPROCESSABLE_ENTITY", `validation failure list:\n${errors.join("\n")}`));

    const caller = callerOf(req);
    if (route.auth !== "none" && caller.kind !== "admin") {
      return errorAnswer(
        caller.kind === "anonymous"
          ? new ApiError(401, "UNAUTHORIZED", "unauthorized")
          : new ApiError(403, "FORBIDDEN", "forbidden"),
      );
    }
    try {
      return await route.handler({ params: bound.values, body, url, caller }, ctx);
    } catch (err) {
      if (err instanceof ApiError) return errorAnswer(err);
      violations.push(`${spec.operationId} threw: ${(err as Error).stack ?? String(err)}`);
      return errorAnswer(new ApiError(500, "UNKNOWN", "internal server error"));
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "emulator"}`);
    let work: Promise<void> | void = undefined;
    if (url.pathname === apiPrefix || url.pathname.startsWith(`${apiPrefix}/`)) work = handleApi(req, res, url);
    else if (url.pathname === "/v2" || url.pathname.startsWith("/v2/")) work = registry(req, res, callerOf(req));
    else if (url.pathname === "/service/token") work = tokens.handle(req, res, callerOf(req));
    else res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
    Promise.resolve(work).catch((err: Error) => {
      violations.push(`${req.method} ${url.pathname} crashed: ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const reachable = !options.host || options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  return {
    url: `http://${reachable}:${port}`,
    host: `${reachable}:${port}`,
    port,
    state,
    violations: () => [...violations],
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Every swagger operation becomes a matcher (so unimplemented ones answer 501, not 404); literal-heavy templates first. */
function compileRoutes(validator: SwaggerValidator, implemented: ApiRoute[]): CompiledRoute[] {
  const byId = new Map(implemented.map((r) => [r.operationId, r]));
  const compiled: CompiledRoute[] = validator.allOperations().map((spec) => ({
    spec,
    route: byId.get(spec.operationId),
    pattern: new RegExp(`^${spec.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, "(?<$1>[^/]+)")}/?$`),
  }));
  for (const r of implemented) validator.operation(r.operationId); // fails fast on a misspelt id
  return compiled.sort((a, b) => paramCount(a.spec.path) - paramCount(b.spec.path));
}

function paramCount(path: string): number {
  return (path.match(/\{/g) ?? []).length;
}

function errorAnswer(err: ApiError): ApiResponse {
  return { status: err.status, body: err.toBody() };
}

function firstHeader(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new ApiError(413, "REQUEST_ENTITY_TOO_LARGE", "request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
