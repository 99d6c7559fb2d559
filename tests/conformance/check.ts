// The shape of a conformance check and the context it runs in. A check makes plain HTTP
// requests against one registry, asserts what the spec says MUST (or SHOULD, where marked) hold,
// and records every exchange (status, digest header) so the same check on two registries can
// be compared request by request.
import { isDigest } from "@harbor-satellite/oci";

export type Category = "pull" | "push" | "discovery" | "management";

export interface Check {
  /** Stable id, used to name the repositories a check works in and to list known differences. */
  id: string;
  category: Category;
  title: string;
  /** The spec's endpoint id(s) or section the check is written from. */
  spec: string;
  run(t: CheckContext): Promise<void>;
}

export interface Target {
  name: string;
  url: string;
}

/** One request and what came back, as compared across registries. */
export interface Exchange {
  label: string;
  method: string;
  status: number;
  digest?: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The first error code of a JSON error body, when there is one. */
  code?: string;
  json<T = unknown>(): T;
}

export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailure";
  }
}

/** The error codes the spec allows in a 4xx JSON body (code-1 … code-14). */
export const SPEC_ERROR_CODES: ReadonlySet<string> = new Set([
  "BLOB_UNKNOWN",
  "BLOB_UPLOAD_INVALID",
  "BLOB_UPLOAD_UNKNOWN",
  "DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN",
  "MANIFEST_INVALID",
  "MANIFEST_UNKNOWN",
  "NAME_INVALID",
  "NAME_UNKNOWN",
  "SIZE_INVALID",
  "UNAUTHORIZED",
  "DENIED",
  "UNSUPPORTED",
  "TOOMANYREQUESTS",
]);

export class CheckContext {
  readonly exchanges: Exchange[] = [];

  constructor(
    readonly target: Target,
    readonly check: Check,
  ) {}

  /** A repository name private to this check (`conformance/<check-id>[/<suffix>]`). */
  repo(suffix?: string): string {
    return `conformance/${this.check.id}${suffix ? `/${suffix}` : ""}`;
  }

  async request(
    label: string,
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<Reply> {
    const url = path.startsWith("http") ? path : `${this.target.url}${path}`;
    const res = await fetch(url, { method, headers: init.headers, body: init.body, redirect: "manual" });
    const body = Buffer.from(await res.arrayBuffer());
    const digest = res.headers.get("docker-content-digest") ?? undefined;
    this.exchanges.push({ label, method, status: res.status, ...(digest ? { digest } : {}) });
    let code: string | undefined;
    if (res.status >= 400 && body.length > 0) {
      try {
        code = (JSON.parse(body.toString()) as { errors?: { code?: string }[] }).errors?.[0]?.code;
      } catch {
        code = undefined;
      }
    }
    return { status: res.status, headers: res.headers, body, code, json: <T>() => JSON.parse(body.toString()) as T };
  }

  /** A Location header resolved against the registry (it may be relative or absolute). */
  location(reply: Reply): string {
    const value = reply.headers.get("location");
    if (value === null || value === "") throw new CheckFailure(`${reply.status} answer has no Location header`);
    return new URL(value, this.target.url).toString();
  }

  ok(condition: boolean, message: string): void {
    if (!condition) throw new CheckFailure(message);
  }

  status(reply: Reply, allowed: number[], what: string): void {
    this.ok(
      allowed.includes(reply.status),
      `${what}: expected ${allowed.join(" or ")}, got ${reply.status} ${reply.body.toString().slice(0, 200)}`,
    );
  }

  equal<T>(actual: T, expected: T, what: string): void {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    this.ok(a === e, `${what}: expected ${e}, got ${a}`);
  }

  /** A 4xx answer whose JSON body, if any, uses a spec error code — the expected one when given. */
  error(reply: Reply, status: number[], what: string, code?: string): void {
    this.status(reply, status, what);
    if (reply.body.length === 0 || reply.headers.get("content-type")?.includes("json") !== true) return;
    this.ok(
      reply.code !== undefined && SPEC_ERROR_CODES.has(reply.code),
      `${what}: error body code ${reply.code} is not a spec error code`,
    );
    if (code) this.equal(reply.code, code, `${what}: error code`);
  }

  digestHeader(reply: Reply, expected: string, what: string): void {
    const value = reply.headers.get("docker-content-digest");
    this.ok(value !== null && isDigest(value), `${what}: Docker-Content-Digest missing`);
    this.equal(value, expected, `${what}: Docker-Content-Digest`);
  }
}
