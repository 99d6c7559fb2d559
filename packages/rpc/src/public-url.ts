// The URL satellites reach Ground Control at (`https://gc.example.com`, `http://10.0.0.5:8080`):
// where they read their satellite-state artifact, which Ground Control serves itself. Configured
// as GROUND_CONTROL_URL; otherwise each request carries the scheme and authority it reached the
// gateway with, so an enrolment answers with the address that satellite demonstrably used.
//
// The gateway puts it in the Connect context for handlers. Between Ground Control processes it
// travels in PUBLIC_URL_HEADER, which a gateway believes only from a sibling process (internal
// token) and otherwise replaces with what it saw itself.
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/** Header carrying the public URL from one Ground Control process to another. */
export const PUBLIC_URL_HEADER = "x-harbor-satellite-public-url";

export const publicUrlKey = createContextKey<string | undefined>(undefined, {
  description: "URL the caller reached Ground Control at",
});

/** `<ground control>/satellite/satellite-state/<satellite>/state:latest`, the original's URL form. */
export function satelliteStateUrl(publicUrl: string, satellite: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/satellite/satellite-state/${satellite}/state:latest`;
}

/** The URL this call reached Ground Control at, when the gateway knows it. */
export function publicUrlOf(ctx: HandlerContext): string | undefined {
  return ctx.values.get(publicUrlKey);
}

// The gateway asks this for every rpc, and a fleet reaches it under a handful of names: remember
// the answers (keyed by everything before the path) rather than parse a URL per heartbeat.
const origins = new Map<string, string | undefined>();
const ORIGIN_CACHE_LIMIT = 1_000;

/** `scheme://authority` of an absolute URL, or undefined when it is not http(s). */
export function originOf(url: string): string | undefined {
  const authorityStart = url.indexOf("//");
  const pathStart = authorityStart < 0 ? -1 : url.indexOf("/", authorityStart + 2);
  const key = pathStart < 0 ? url : url.slice(0, pathStart);
  if (origins.has(key)) return origins.get(key);
  let origin: string | undefined;
  try {
    const parsed = new URL(url);
    origin = parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : undefined;
  } catch {
    origin = undefined;
  }
  if (origins.size >= ORIGIN_CACHE_LIMIT) origins.clear();
  origins.set(key, origin);
  return origin;
}
