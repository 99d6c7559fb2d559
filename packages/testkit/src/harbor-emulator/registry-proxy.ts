// Harbor's registry endpoint: `/v2/` in front of the upstream docker-registry, with Harbor's
// v2auth checks (middleware/v2auth): `/v2/` needs a logged-in caller, `/v2/_catalog` the
// catalog permission, repository routes the project's repository permission for the method's
// action (GET/HEAD pull, POST/PUT/PATCH push, DELETE delete; a blob mount also needs pull on the
// source). Every refusal is 401 UNAUTHORIZED in Harbor's error body with Www-Authenticate: a
// Bearer challenge pointing at /service/token when the request had no Authorization header,
// `Basic realm="harbor"` otherwise; a missing project is a 401 without challenge. Allowed
// requests are streamed both ways, Location rewritten from the upstream's host to ours.
import { request as httpRequest, type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from "node:http";
import { canCatalog, canRepository, isAuthenticated, type Caller, type RegistryAction } from "./permissions.js";
import type { ReferrersIndex } from "./referrers.js";
import type { EmulatorState } from "./state.js";
import { registryService } from "./token-service.js";

type Access =
  { target: "login" } | { target: "catalog" } | { target: "repository"; name: string; action: RegistryAction };

const repositoryRouteRe = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)(\/.*)?$/;
/** A manifest push: repository and reference (a tag or a digest). */
const manifestRouteRe = /^\/v2\/(.+?)\/manifests\/([^/?]+)/;
const referrersRouteRe = /^\/v2\/(.+?)\/referrers\/(sha256:[a-f0-9]{64})$/;
const methodAction: Record<string, RegistryAction | undefined> = {
  GET: "pull",
  HEAD: "pull",
  POST: "push",
  PUT: "push",
  PATCH: "push",
  DELETE: "delete",
};
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
]);

/** What a request needs (Harbor's accessList). Empty: a request Harbor does not recognise. */
function accessList(method: string, url: URL): Access[] {
  if (url.pathname === "/v2/" || url.pathname === "/v2") return [{ target: "login" }];
  if (url.pathname === "/v2/_catalog") return [{ target: "catalog" }];
  const m = repositoryRouteRe.exec(url.pathname);
  const action = methodAction[method];
  if (!m || !action) return [];
  const list: Access[] = [{ target: "repository", name: m[1], action }];
  const from = url.searchParams.get("from");
  if (method === "POST" && m[2] === "blobs" && url.searchParams.has("mount") && from) {
    list.push({ target: "repository", name: from, action: "pull" });
  }
  return list;
}

function scopeOf(a: Access): string {
  if (a.target !== "repository") return "";
  const actions = a.action === "push" ? "pull,push" : a.action;
  return `repository:${a.name}:${actions}`;
}

export interface RegistryProxyOptions {
  state: EmulatorState;
  /** The upstream docker-registry's base URL; without one every allowed request gets 503. */
  upstreamUrl?: string;
  /** Answer the OCI 1.1 referrers API as Harbor does (referrers.ts); without it, the upstream's answer (docker-registry: 404). */
  referrers?: ReferrersIndex;
}

export function createRegistryProxy(options: RegistryProxyOptions) {
  const upstream = options.upstreamUrl ? new URL(options.upstreamUrl) : undefined;

  function challenge(req: IncomingMessage, accesses: Access[], catalog: boolean): string {
    if (req.headers.authorization || catalog) return `Basic realm="harbor"`;
    const realm = `http://${req.headers.host ?? ""}/service/token`;
    const scope = accesses
      .map(scopeOf)
      .filter((s) => s !== "")
      .join(" ");
    return `Bearer realm="${realm}",service="${registryService}"${scope ? `,scope="${scope}"` : ""}`;
  }

  function deny(res: ServerResponse, wwwAuthenticate: string, message: string): void {
    res.writeHead(401, {
      "docker-distribution-api-version": "registry/2.0",
      "www-authenticate": wwwAuthenticate,
      "content-type": "application/json; charset=utf-8",
    });
    res.end(`${JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message }] })}\n`);
  }

  /** Harbor's reqChecker: true when allowed; otherwise the refusal has been sent. */
  function check(req: IncomingMessage, res: ServerResponse, caller: Caller, url: URL): boolean {
    const accesses = accessList(req.method ?? "GET", url);
    if (accesses.length === 0) {
      deny(res, "", `un-recognized request: ${req.method} ${url.pathname}`);
      return false;
    }
    for (const a of accesses) {
      if (a.target === "login" && !isAuthenticated(caller)) {
        deny(res, challenge(req, accesses, false), "unauthorized");
        return false;
      }
      if (a.target === "catalog" && !canCatalog(caller)) {
        deny(res, challenge(req, accesses, true), "unauthorized to list catalog");
        return false;
      }
      if (a.target !== "repository") continue;
      if (!req.headers.authorization && (req.method === "GET" || req.method === "HEAD")) {
        deny(res, challenge(req, accesses, false), "authorize header needed to send HEAD to repository");
        return false;
      }
      const projectName = a.name.split("/")[0];
      const project = options.state.projects.get(projectName);
      if (!project) {
        deny(res, "", `project ${projectName} not found`);
        return false;
      }
      if (!canRepository(caller, project, a.action)) {
        deny(res, challenge(req, accesses, false), `unauthorized to access repository: ${a.name}, action: ${a.action}`);
        return false;
      }
    }
    return true;
  }

  /** Streams the request to the upstream and its answer back, without buffering bodies. */
  function forward(req: IncomingMessage, res: ServerResponse): void {
    if (!upstream) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "the Harbor emulator has no upstream registry" }] }),
      );
      return;
    }
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers))
      if (!hopByHop.has(name) && value !== undefined) headers[name] = value;
    headers.host = upstream.host;
    const out = httpRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (up) => {
        const back: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(up.headers))
          if (!hopByHop.has(name) && value !== undefined) back[name] = value;
        const location = up.headers.location;
        if (location?.startsWith(upstream.origin))
          back.location = `http://${req.headers.host ?? ""}${location.slice(upstream.origin.length)}`;
        res.writeHead(up.statusCode ?? 502, back);
        up.pipe(res);
        const pushed = req.method === "PUT" && up.statusCode === 201 ? manifestRouteRe.exec(req.url ?? "") : null;
        const digest = up.headers["docker-content-digest"];
        if (pushed && typeof digest === "string") options.state.recordPush(pushed[1], pushed[2], digest);
        if (pushed && typeof digest === "string" && manifestBody)
          options.referrers?.observe(pushed[1], req.headers["content-type"], Buffer.concat(manifestBody), digest);
      },
    );
    out.on("error", (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: `upstream registry: ${err.message}` }] }));
      } else res.destroy(err);
    });
    // A manifest push is small: its bytes are kept as they pass, for the referrers index.
    const manifestBody =
      options.referrers && req.method === "PUT" && manifestRouteRe.test(req.url ?? "") ? ([] as Buffer[]) : undefined;
    if (manifestBody) req.on("data", (chunk: Buffer) => manifestBody.push(chunk));
    req.pipe(out);
  }

  return function handleRegistry(req: IncomingMessage, res: ServerResponse, caller: Caller): void {
    const url = new URL(req.url ?? "/", "http://emulator");
    if (!check(req, res, caller, url)) return void req.resume();
    const referrers = options.referrers && req.method === "GET" ? referrersRouteRe.exec(url.pathname) : null;
    if (referrers) options.referrers!.answer(res, referrers[1], referrers[2], url.searchParams.get("artifactType"));
    else forward(req, res);
  };
}
