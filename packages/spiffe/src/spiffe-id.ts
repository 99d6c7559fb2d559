// SPIFFE IDs and trust domains, validated per SPIFFE-ID.md §2 (the same rules go-spiffe's
// spiffeid package applies). Parsing is by hand rather than with WHATWG `URL`, which would
// silently normalise (lowercase, resolve `..`, percent-decode) what the spec says to reject.
import { SpiffeIdError } from "./errors.js";

const SCHEME_PREFIX = "spiffe://";
/** SPIFFE-ID.md §2.3: implementations need not accept longer IDs and must not generate them. */
export const MAX_SPIFFE_ID_BYTES = 2048;
/** SPIFFE-ID.md §2.3: RFC 3986 caps the host at 255 characters. */
export const MAX_TRUST_DOMAIN_BYTES = 255;

const TRUST_DOMAIN_CHAR = /^[a-z0-9._-]$/;
const PATH_SEGMENT_CHAR = /^[a-zA-Z0-9._-]$/;

/** A trust domain name such as `example.org`: the authority of every SPIFFE ID in it. */
export class TrustDomain {
  private constructor(readonly name: string) {}

  /** Accepts a bare name (`example.org`) or a trust domain ID (`spiffe://example.org`). */
  static parse(input: string): TrustDomain {
    if (input.toLowerCase().startsWith(SCHEME_PREFIX)) {
      const id = SpiffeId.parse(input);
      if (id.path !== "") {
        throw new SpiffeIdError("unexpected-path", `trust domain ${quote(input)} must not have a path`);
      }
      return id.trustDomain;
    }
    validateTrustDomainName(input);
    return new TrustDomain(input);
  }

  /** @internal used by SpiffeId.parse after it has validated the name. */
  static fromValidatedName(name: string): TrustDomain {
    return new TrustDomain(name);
  }

  /** The trust domain's own SPIFFE ID, `spiffe://<name>`: the key the Workload API uses for bundles. */
  idString(): string {
    return SCHEME_PREFIX + this.name;
  }

  /** The SPIFFE ID `spiffe://<name>/<segments...>`, each segment validated. */
  id(...segments: string[]): SpiffeId {
    return SpiffeId.fromSegments(this, ...segments);
  }

  equals(other: TrustDomain): boolean {
    return this.name === other.name;
  }

  toString(): string {
    return this.name;
  }
}

/** A validated SPIFFE ID; `path` is "" for a trust domain ID, else starts with "/". */
export class SpiffeId {
  private constructor(
    readonly trustDomain: TrustDomain,
    readonly path: string,
  ) {}

  /** Parses and validates `spiffe://<trust-domain><path>`; throws SpiffeIdError. */
  static parse(input: string): SpiffeId {
    if (input === "") throw new SpiffeIdError("empty", "SPIFFE ID is empty");
    if (Buffer.byteLength(input) > MAX_SPIFFE_ID_BYTES) {
      throw new SpiffeIdError("too-long", `SPIFFE ID is longer than ${MAX_SPIFFE_ID_BYTES} bytes`);
    }
    // The scheme is case-insensitive (SPIFFE-ID.md §2.4); the trust domain must already be lowercase.
    if (!input.slice(0, SCHEME_PREFIX.length).toLowerCase().startsWith(SCHEME_PREFIX)) {
      throw new SpiffeIdError("wrong-scheme", `SPIFFE ID ${quote(input)} must start with spiffe://`);
    }
    const rest = input.slice(SCHEME_PREFIX.length);
    const queryOrFragment = rest.search(/[?#]/);
    if (queryOrFragment >= 0) {
      throw new SpiffeIdError("query-or-fragment", `SPIFFE ID ${quote(input)} must not have a query or fragment`);
    }
    const slash = rest.indexOf("/");
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? "" : rest.slice(slash);
    validateTrustDomainName(authority);
    validatePath(path);
    return new SpiffeId(TrustDomain.fromValidatedName(authority), path);
  }

  /** Builds `spiffe://<td>/<s1>/<s2>...`; each segment must be a valid path segment. */
  static fromSegments(trustDomain: TrustDomain, ...segments: string[]): SpiffeId {
    const path = segments.map((s) => "/" + s).join("");
    validatePath(path);
    const id = new SpiffeId(trustDomain, path);
    if (Buffer.byteLength(id.toString()) > MAX_SPIFFE_ID_BYTES) {
      throw new SpiffeIdError("too-long", `SPIFFE ID is longer than ${MAX_SPIFFE_ID_BYTES} bytes`);
    }
    return id;
  }

  /** Builds `spiffe://<td><path>` from a path that starts with "/" (or "" for the trust domain ID). */
  static fromPath(trustDomain: TrustDomain, path: string): SpiffeId {
    return SpiffeId.parse(SCHEME_PREFIX + trustDomain.name + path);
  }

  /** The path's segments, e.g. ["satellite", "region", "eu", "s1"]; [] for a trust domain ID. */
  segments(): string[] {
    return this.path === "" ? [] : this.path.slice(1).split("/");
  }

  memberOf(trustDomain: TrustDomain): boolean {
    return this.trustDomain.equals(trustDomain);
  }

  equals(other: SpiffeId): boolean {
    return this.trustDomain.equals(other.trustDomain) && this.path === other.path;
  }

  toString(): string {
    return SCHEME_PREFIX + this.trustDomain.name + this.path;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** True when `input` parses as a SPIFFE ID. */
export function isSpiffeId(input: string): boolean {
  try {
    SpiffeId.parse(input);
    return true;
  } catch {
    return false;
  }
}

function validateTrustDomainName(name: string): void {
  if (name === "") throw new SpiffeIdError("missing-trust-domain", "trust domain is missing");
  if (Buffer.byteLength(name) > MAX_TRUST_DOMAIN_BYTES) {
    throw new SpiffeIdError("trust-domain-too-long", `trust domain is longer than ${MAX_TRUST_DOMAIN_BYTES} bytes`);
  }
  for (const ch of name) {
    if (TRUST_DOMAIN_CHAR.test(ch)) continue;
    if (ch === "@" || ch === ":") {
      throw new SpiffeIdError("userinfo-or-port", `trust domain ${quote(name)} must not have userinfo or a port`);
    }
    if (ch === "%")
      throw new SpiffeIdError("percent-encoded", `trust domain ${quote(name)} must not be percent-encoded`);
    throw new SpiffeIdError(
      "bad-trust-domain-char",
      `trust domain ${quote(name)} may only contain lowercase letters, digits, dots, dashes and underscores`,
    );
  }
}

function validatePath(path: string): void {
  if (path === "") return;
  if (!path.startsWith("/")) throw new SpiffeIdError("bad-path-char", `path ${quote(path)} must start with /`);
  if (path.endsWith("/")) throw new SpiffeIdError("trailing-slash", `path ${quote(path)} must not end with /`);
  for (const segment of path.slice(1).split("/")) {
    if (segment === "") throw new SpiffeIdError("empty-segment", `path ${quote(path)} has an empty segment`);
    if (segment === "." || segment === "..") {
      throw new SpiffeIdError("dot-segment", `path ${quote(path)} must not have . or .. segments`);
    }
    for (const ch of segment) {
      if (PATH_SEGMENT_CHAR.test(ch)) continue;
      if (ch === "%") throw new SpiffeIdError("percent-encoded", `path ${quote(path)} must not be percent-encoded`);
      throw new SpiffeIdError(
        "bad-path-char",
        `path ${quote(path)} may only contain letters, digits, dots, dashes and underscores in its segments`,
      );
    }
  }
}

function quote(s: string): string {
  return JSON.stringify(s.length > 120 ? s.slice(0, 120) + "…" : s);
}
