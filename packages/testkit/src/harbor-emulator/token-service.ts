// Harbor's registry token service, `GET /service/token?service=harbor-registry&scope=…`: Basic
// credentials (or none: anonymous) in, a signed bearer token out, listing for each requested
// repository every action the caller may do on its project (Harbor grants all permitted actions,
// not only the requested ones; a missing project gets none). Tokens are HS256 JWTs signed with a
// key private to this emulator; the registry proxy verifies them.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  anonymous,
  canCatalog,
  canRepository,
  isAuthenticated,
  type Caller,
  type RegistryAction,
} from "./permissions.js";
import type { EmulatorState } from "./state.js";

export const registryService = "harbor-registry";
const issuer = "harbor-token-issuer";
/** Harbor's default `token_expiration`: 30 minutes. */
const expiresIn = 1800;
const registryActions: RegistryAction[] = ["pull", "push", "delete", "scanner-pull"];

interface ResourceActions {
  type: string;
  name: string;
  actions: string[];
}

interface Claims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: ResourceActions[];
}

export class TokenService {
  private readonly key = randomBytes(32);

  constructor(private readonly state: EmulatorState) {}

  /** Answers a token request; `caller` comes from the request's Basic credentials. */
  handle(req: IncomingMessage, res: ServerResponse, caller: Caller): void {
    const url = new URL(req.url ?? "/", "http://emulator");
    const service = url.searchParams.get("service") ?? "";
    if (service !== registryService) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end(`Unable to handle service: ${service}`);
      return;
    }
    const scopes = url.searchParams
      .getAll("scope")
      .flatMap((s) => s.split(" "))
      .filter((s) => s !== "");
    // `docker login` asks without a scope: that needs real credentials.
    if (!isAuthenticated(caller) && scopes.length === 0) {
      res.writeHead(401).end();
      return;
    }
    const access = scopes.map(parseScope).map((a) => this.filter(caller, a));
    const now = Math.floor(Date.now() / 1000);
    const token = this.sign({
      iss: issuer,
      sub: caller.name,
      aud: service,
      exp: now + expiresIn,
      nbf: now,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    });
    // Harbor's Token model always carries `access_token`, empty: clients must read `token`.
    const body = JSON.stringify({
      token,
      access_token: "",
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
    });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(body);
  }

  /** The caller a bearer token stands for, or anonymous when it is forged, expired or for another service. */
  verify(token: string): Caller {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return anonymous;
    const expected = this.mac(`${header}.${payload}`);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return anonymous;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Claims;
    } catch {
      return anonymous;
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== registryService || claims.exp <= now || claims.nbf > now) return anonymous;
    // As Harbor's v2token context: repository accesses only, keyed by project (first path segment).
    const access = new Map<string, Set<string>>();
    for (const a of claims.access ?? []) {
      if (a.type !== "repository") continue;
      const actions = new Set(a.actions.flatMap((x) => (x === "*" ? ["pull", "push", "delete"] : [x])));
      access.set(a.name.split("/")[0], actions);
    }
    return { kind: "token", name: claims.sub, access };
  }

  private filter(caller: Caller, a: ResourceActions): ResourceActions {
    if (a.type === "registry" && a.name === "catalog") return { ...a, actions: canCatalog(caller) ? a.actions : [] };
    if (a.type !== "repository") return { ...a, actions: [] };
    const project = this.state.projects.get(a.name.split("/")[0]);
    if (!project) return { ...a, actions: [] };
    return { ...a, actions: registryActions.filter((action) => canRepository(caller, project, action)) };
  }

  private sign(claims: Claims): string {
    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
    return `${header}.${payload}.${this.mac(`${header}.${payload}`).toString("base64url")}`;
  }

  private mac(data: string): Buffer {
    return createHmac("sha256", this.key).update(data).digest();
  }
}

/** `type:name:actions` where the name may itself hold colons (a registry host with a port). */
function parseScope(scope: string): ResourceActions {
  const items = scope.split(":");
  if (items.length === 1) return { type: items[0], name: "", actions: [] };
  if (items.length === 2) return { type: items[0], name: items[1], actions: [] };
  const last = items[items.length - 1];
  return { type: items[0], name: items.slice(1, -1).join(":"), actions: last === "" ? [] : last.split(",") };
}
