// Shared by the API route families: the handler contract, Harbor's error shape, `q` parsing and
// paging with Harbor's X-Total-Count and Link headers.
import type { Caller } from "./permissions.js";
import type { EmulatorState } from "./state.js";
import type { Upstream } from "./upstream.js";
import type { ParamValues } from "./validator.js";

export interface ApiRequest {
  /** Bound and validated path, query and header parameters (defaults applied). */
  params: ParamValues;
  /** Parsed and validated JSON body. */
  body: unknown;
  url: URL;
  caller: Caller;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiContext {
  state: EmulatorState;
  upstream?: Upstream;
}

export type ApiHandler = (req: ApiRequest, ctx: ApiContext) => ApiResponse | Promise<ApiResponse>;

/** Route table entry: method and path come from the swagger operation of the same id. */
export interface ApiRoute {
  operationId: string;
  handler: ApiHandler;
  /** `none`: no credentials needed (health). Default `admin`. */
  auth?: "none" | "admin";
}

/** A refusal in Harbor's words: status + `{"errors":[{code,message}]}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  toBody(): { errors: { code: string; message: string }[] } {
    return { errors: [{ code: this.code, message: this.message }] };
  }
}

export const badRequest = (message: string) => new ApiError(400, "BAD_REQUEST", message);
export const notFound = (message: string) => new ApiError(404, "NOT_FOUND", message);
export const conflict = (message: string) => new ApiError(409, "CONFLICT", message);

export interface QueryTerm {
  value: string;
  fuzzy: boolean;
}

/**
 * Harbor's `q`: comma-separated `k=v` (exact) and `k=~v` (fuzzy) terms. Ranges and lists are not
 * needed by our callers and are refused rather than misread.
 */
export function parseQuery(q: string | number | boolean | undefined): Map<string, QueryTerm> {
  const terms = new Map<string, QueryTerm>();
  if (typeof q !== "string" || q === "") return terms;
  for (const part of q.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw badRequest(`invalid query string: ${q}`);
    const key = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (/^[[{(]/.test(value)) throw badRequest(`the emulator does not support range or list queries: ${part}`);
    const fuzzy = value.startsWith("~");
    if (fuzzy) value = value.slice(1);
    terms.set(key, { value: value.replace(/^["']|["']$/g, ""), fuzzy });
  }
  return terms;
}

export function matchesTerm(term: QueryTerm | undefined, actual: string): boolean {
  if (!term) return true;
  return term.fuzzy ? actual.includes(term.value) : actual === term.value;
}

/** One page of `items` plus Harbor's paging headers (Link keeps the request's other query parameters). */
export function paginate<T>(items: T[], req: ApiRequest): { page: T[]; headers: Record<string, string> } {
  const page = Math.max(1, Number(req.params.page ?? 1));
  // Harbor's ORM reads a page size of 0 (or less) as "no limit".
  const requested = Number(req.params.page_size ?? 10);
  const size = requested > 0 ? requested : Math.max(1, items.length);
  const start = (page - 1) * size;
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const u = new URL(req.url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("page_size", String(size));
    links.push(`<${u.pathname}${u.search}>; rel="${rel}"`);
  };
  if (page > 1) link(page - 1, "prev");
  if (start + size < items.length) link(page + 1, "next");
  const headers: Record<string, string> = { "X-Total-Count": String(items.length) };
  if (links.length > 0) headers.Link = links.join(" , ");
  return { page: items.slice(start, start + size), headers };
}

export function iso(date: Date): string {
  return date.toISOString();
}
