// Harbor's webhooks, so tag-filtered groups follow a push at once instead of at the next poll:
//
//   POST /webhooks/harbor   Authorization: <HARBOR_WEBHOOK_SECRET>   Harbor's event JSON
//
// In Harbor: a webhook policy of type http on each project whose images groups filter, endpoint
// <Ground Control>/webhooks/harbor, "Auth Header" = the secret (Harbor sends it verbatim as the
// Authorization header), events "Artifact pushed" and "Artifact deleted" (and "Tag retention
// finished"). The route exists only when HARBOR_WEBHOOK_SECRET is set; the header is compared in
// constant time and never logged. A push or delete resolves the groups filtering that repository
// (FleetService/ResolveTagFilters, through the fleet client: in-process or the fleet's process);
// a retention run, which names no single repository, resolves every filtered group. Other events
// are acknowledged and ignored, so Harbor does not retry them.
import { createHash, timingSafeEqual } from "node:crypto";
import { ConnectError, type Client } from "@connectrpc/connect";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import type { Logger } from "@harbor-satellite/telemetry";
import type { HttpRequest, HttpResponse } from "./http-types.js";

export const HARBOR_WEBHOOK_PATH = "/webhooks/harbor";
/** Harbor's event bodies are small; anything larger is not one. */
const MAX_BODY_BYTES = 256 * 1024;
const REPOSITORY_EVENTS = new Set(["PUSH_ARTIFACT", "DELETE_ARTIFACT"]);
const FLEET_WIDE_EVENTS = new Set(["TAG_RETENTION"]);

export interface HarborWebhookDeps {
  /** HARBOR_WEBHOOK_SECRET: the Authorization header Harbor's policy sends; the route is off without it. */
  harborWebhookSecret?: string;
  fleet?: () => Client<typeof FleetService>;
  logger?: Logger;
}

/** What an event asks for: the repositories to resolve ([] = every filtered group), or nothing. */
export function webhookScope(event: unknown): { repositories: string[] } | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const { type, event_data: data } = event as {
    type?: unknown;
    event_data?: { repository?: { repo_full_name?: unknown } };
  };
  if (typeof type !== "string") return undefined;
  if (FLEET_WIDE_EVENTS.has(type)) return { repositories: [] };
  if (!REPOSITORY_EVENTS.has(type)) return undefined;
  const repository = data?.repository?.repo_full_name;
  return typeof repository === "string" && repository !== "" ? { repositories: [repository] } : { repositories: [] };
}

const digestOf = (text: string) => createHash("sha256").update(text).digest();

function answer(res: HttpResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: HttpRequest): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Handles POST /webhooks/harbor when configured; false for any other request. */
export function handleHarborWebhook(
  deps: HarborWebhookDeps,
  req: HttpRequest,
  res: HttpResponse,
  path: string,
): boolean {
  const secret = deps.harborWebhookSecret;
  if (path !== HARBOR_WEBHOOK_PATH || !secret || !deps.fleet) return false;
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST" });
    res.end();
    return true;
  }
  const given = req.headers.authorization ?? "";
  if (!timingSafeEqual(digestOf(given), digestOf(secret))) {
    req.resume();
    answer(res, 401, { code: "unauthenticated", message: "the Authorization header is not the webhook secret" });
    return true;
  }
  void (async () => {
    const text = await readBody(req);
    let event: unknown;
    try {
      event = text === undefined ? undefined : JSON.parse(text);
    } catch {
      event = undefined;
    }
    if (event === undefined || typeof event !== "object" || event === null)
      return answer(res, 400, { code: "invalid_argument", message: "the body is not a Harbor event (a JSON object)" });
    const scope = webhookScope(event);
    const type = String((event as { type?: unknown }).type ?? "");
    if (!scope) return answer(res, 200, { ignored: type });
    const { queuedGroups } = await deps.fleet!().resolveTagFilters(scope);
    deps.logger?.info(
      { event: type, repositories: scope.repositories, queuedGroups },
      "harbor webhook: tag filters resolved",
    );
    answer(res, 200, { queuedGroups });
  })().catch((error: unknown) => {
    const err = ConnectError.from(error);
    deps.logger?.warn({ err: err.message }, "harbor webhook: resolving tag filters failed");
    if (!res.headersSent) answer(res, 503, { code: "unavailable", message: err.rawMessage });
  });
  return true;
}
