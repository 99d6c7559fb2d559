// Authorizers decide, after an SVID has been verified, whether its SPIFFE ID may talk to us
// (go-spiffe's tlsconfig.Authorize* family). They throw SvidVerificationError("unauthorized") so
// a rejection carries the same typed reason as every other verification failure.
import { SvidVerificationError } from "./errors.js";
import { SpiffeId, TrustDomain } from "./spiffe-id.js";

/** Throws when `id` is not allowed; returns normally when it is. */
export type Authorizer = (id: SpiffeId) => void;

/** Any verified SPIFFE ID from any trusted trust domain. */
export function authorizeAny(): Authorizer {
  return () => {};
}

/** Exactly this ID. */
export function authorizeID(expected: SpiffeId | string): Authorizer {
  const want = typeof expected === "string" ? SpiffeId.parse(expected) : expected;
  return (id) => {
    if (!id.equals(want)) deny(`${id.toString()} is not ${want.toString()}`);
  };
}

/** One of these IDs. */
export function authorizeOneOf(expected: Iterable<SpiffeId | string>): Authorizer {
  const allowed = new Set([...expected].map((e) => (typeof e === "string" ? SpiffeId.parse(e) : e).toString()));
  return (id) => {
    if (!allowed.has(id.toString())) deny(`${id.toString()} is not one of the allowed IDs`);
  };
}

/** Any ID in this trust domain. */
export function authorizeMemberOf(trustDomain: TrustDomain | string): Authorizer {
  const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
  return (id) => {
    if (!id.memberOf(td)) deny(`${id.toString()} is not a member of trust domain ${td.name}`);
  };
}

/**
 * IDs in this trust domain whose path is `prefix` or lies below it, segment-wise: with prefix
 * "/satellite/" (or "/satellite") both /satellite and /satellite/region/eu/s1 pass, /satellites
 * does not. This is the Go original's rule for who may call Ground Control as a satellite.
 */
export function authorizePathPrefix(trustDomain: TrustDomain | string, prefix: string): Authorizer {
  const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
  const base = prefix.replace(/\/+$/, "");
  if (!base.startsWith("/")) throw new TypeError(`path prefix ${JSON.stringify(prefix)} must start with /`);
  return (id) => {
    if (!id.memberOf(td)) deny(`${id.toString()} is not a member of trust domain ${td.name}`);
    if (id.path !== base && !id.path.startsWith(base + "/")) deny(`${id.toString()} is not under ${base}/`);
  };
}

/** Passes only when every authorizer passes (e.g. member of a trust domain and not a denylisted ID). */
export function authorizeAll(...authorizers: Authorizer[]): Authorizer {
  return (id) => {
    for (const authorize of authorizers) authorize(id);
  };
}

function deny(message: string): never {
  throw new SvidVerificationError("unauthorized", message);
}
