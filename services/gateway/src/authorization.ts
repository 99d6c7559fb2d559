// Who may call what, as data: every rpc is admin-only unless listed here. The interceptor
// authenticates the caller (passing the client's address, which limits credential attempts per
// source), puts it in the context for handlers (with the URL the caller reached Ground Control
// at), and enforces the policy. It also applies the limits of the rpcs that take a secret in the
// request rather than in headers: Login attempts count like Basic credentials (the same limits),
// and ZTR enrolment shares the REST routes' per-address budget. Calls from another Ground Control
// process skip both: the process that took the client's call applied them, and the address here
// would be that process's, shared by all its clients.
import type { Interceptor } from "@connectrpc/connect";
import {
  callerKey,
  clientAddressKey,
  originOf,
  PermissionDeniedError,
  PUBLIC_URL_HEADER,
  publicUrlKey,
  UnauthenticatedError,
  type Caller,
} from "@harbor-satellite/rpc";
import { settle, type Authenticator } from "./authenticator.js";
import { peerKey } from "./peer-identity.js";
import { RateLimitedError, type RateLimiter } from "./rate-limiter.js";

export type Policy = "public" | "satellite" | "satellite-or-admin" | "admin";

export const METHOD_POLICIES: Readonly<Record<string, Policy>> = {
  "harbor.satellite.identity.v1.IdentityService/Login": "public",
  "harbor.satellite.identity.v1.IdentityService/TokenZtr": "public",
  "harbor.satellite.identity.v1.IdentityService/SpiffeZtr": "satellite",
  "harbor.satellite.identity.v1.IdentityService/Logout": "admin",
  "harbor.satellite.heartbeat.v1.HeartbeatService/Sync": "satellite-or-admin",
  // The handler also refuses a satellite asking for another satellite's state.
  "harbor.satellite.registry.v1.RegistryService/GetSatelliteStateArtifact": "satellite-or-admin",
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": "public",
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": "public",
};

export function policyFor(service: string, method: string): Policy {
  return METHOD_POLICIES[`${service}/${method}`] ?? "admin";
}

/** Whether a caller satisfies a policy; services count as admins (they act for one). */
export function allows(policy: Policy, caller: Caller): boolean {
  const admin = caller.kind === "admin" || caller.kind === "service";
  switch (policy) {
    case "public":
      return true;
    case "satellite":
      return caller.kind === "satellite";
    case "satellite-or-admin":
      return caller.kind === "satellite" || admin;
    case "admin":
      return admin;
  }
}

const IDENTITY = "harbor.satellite.identity.v1.IdentityService";

export interface AuthorizationOptions {
  /** Per client address budget of ZTR enrolments, the one the REST routes use. */
  ztrLimiter?: RateLimiter;
}

export function authorizationInterceptor(authenticate: Authenticator, options: AuthorizationOptions = {}): Interceptor {
  const { ztrLimiter } = options;
  return (next) => async (req) => {
    const source = req.contextValues.get(clientAddressKey);
    const peerProcess = authenticate.isPeerProcess(req.header);
    const identity = !peerProcess && req.service.typeName === IDENTITY;
    const ztr = identity && (req.method.name === "TokenZtr" || req.method.name === "SpiffeZtr");
    if (ztrLimiter && ztr && !ztrLimiter.take(source)) {
      throw new RateLimitedError("too many enrolment attempts from your address", ztrLimiter.retryAfterMs(source));
    }
    const policy = policyFor(req.service.typeName, req.method.name);
    const caller = await authenticate(req.header, req.contextValues.get(peerKey), source).catch((error) => {
      if (policy === "public") return { kind: "anonymous" } as const;
      throw error;
    });
    if (!allows(policy, caller)) {
      if (caller.kind === "anonymous")
        throw new UnauthenticatedError(
          `${req.method.name} needs credentials: ${policy === "satellite" ? "a satellite identity" : "an admin session (Authorization: Bearer <token> from IdentityService/Login) or admin Basic credentials"}`,
        );
      throw new PermissionDeniedError(
        `${req.method.name} is not allowed for ${caller.kind === "satellite" ? `satellite ${caller.name}` : caller.kind}`,
      );
    }
    req.contextValues.set(callerKey, caller);
    // A sibling process forwards the URL its caller used; anyone else gets what this listener saw.
    const forwarded = peerProcess ? req.header.get(PUBLIC_URL_HEADER) : null;
    req.contextValues.set(publicUrlKey, (forwarded && originOf(forwarded)) || originOf(req.url));
    if (!identity || req.method.name !== "Login" || req.stream) return next(req);
    // Reserved before the handler hashes the password; settled with what it found.
    const username = (req.message as { username?: unknown }).username;
    const account = typeof username === "string" ? username : "";
    const attempt = await authenticate.limits.reserveWhenFree(source, account, {
      guessable: !account.startsWith("robot$"),
    });
    try {
      const res = await next(req);
      attempt.succeeded();
      return res;
    } catch (error) {
      settle(attempt, error);
      throw error;
    }
  };
}
