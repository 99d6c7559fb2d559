// IdentityService handlers: admin login, ZTR tokens, and enrolment of satellites by token or by
// SPIFFE identity.
import { Code, ConnectError, type Client, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  IssueZtrTokenResponseSchema,
  LoginResponseSchema,
  LogoutResponseSchema,
  SpiffeZtrResponseSchema,
  TokenZtrResponseSchema,
  type IdentityService,
} from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import type { FleetService } from "@harbor-satellite/gen/harbor/satellite/fleet/v1/fleet_pb";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Database } from "@harbor-satellite/db";
import type { SpireServerClient } from "@harbor-satellite/spiffe";
import {
  callerOf,
  InvalidArgumentError,
  PermissionDeniedError,
  publicUrlOf,
  requireName,
  UnauthenticatedError,
  UnavailableError,
} from "@harbor-satellite/rpc";
import { checkPassword } from "./admin-users.js";
import type { SecretChecker } from "./secret-checker.js";
import { enrol } from "./enrolment.js";
import { registerSatellite } from "./spire-registration.js";
import { createSession, deleteSession } from "./sessions.js";
import { claimToken, issueToken, releaseToken } from "./ztr-tokens.js";

export interface IdentityDeps {
  db: Database;
  /** Needed for enrolment (robot credentials); absent in a login-only deployment. */
  registry?: Client<typeof RegistryService>;
  /** Needed to auto-register satellites that enrol with an unknown SPIFFE ID. */
  fleet?: Client<typeof FleetService>;
  /** HARBOR_URL; enrolment answers Unavailable without it. */
  harborUrl?: string;
  /**
   * GROUND_CONTROL_URL: where satellites read their satellite state. Unset: the URL each
   * enrolment request reached Ground Control at (set by the gateway).
   */
  publicUrl?: string;
  /** How long enrolment waits for a new satellite's robot account. */
  robotWaitMs?: number;
  /** SPIRE Server API client, for RegisterSatellite; absent when SPIRE is not configured. */
  spire?: SpireServerClient;
  /** SPIFFE trust domain (default harbor-satellite.local). */
  trustDomain?: string;
  /** What the edge SPIRE agent dials, returned by RegisterSatellite. */
  spireServerAddress?: string;
  spireServerPort?: number;
  /**
   * Checks passwords (with its cache of pairs proven wrong). Default: the process's one checker,
   * which the gateway's Basic credentials share. Login attempts are throttled by the gateway.
   */
  secrets?: SecretChecker;
}

function bearerToken(ctx: HandlerContext): string | undefined {
  const header = ctx.requestHeader.get("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : undefined;
}

export function createIdentityService(deps: IdentityDeps): ServiceImpl<typeof IdentityService> {
  const enrolment = (ctx: HandlerContext) => {
    if (!deps.registry || !deps.harborUrl)
      throw new UnavailableError("enrolment needs Harbor: set HARBOR_URL, HARBOR_USERNAME and HARBOR_PASSWORD");
    const publicUrl = deps.publicUrl ?? publicUrlOf(ctx);
    if (!publicUrl)
      throw new UnavailableError("Ground Control cannot tell which URL satellites reach it at: set GROUND_CONTROL_URL");
    return { registry: deps.registry, harborUrl: deps.harborUrl, publicUrl, robotWaitMs: deps.robotWaitMs };
  };
  return {
    async login(req) {
      if (!req.username || !req.password) throw new InvalidArgumentError("username and password are required");
      const user = await checkPassword(deps.db, req.username, req.password, deps.secrets);
      const session = await createSession(deps.db, user.id);
      return create(LoginResponseSchema, {
        sessionToken: session.token,
        expireTime: timestampFromDate(session.expiresAt),
      });
    },
    async logout(_req, ctx) {
      const token = bearerToken(ctx);
      if (!token) throw new UnauthenticatedError("logout needs the session's bearer token");
      await deleteSession(deps.db, token);
      return create(LogoutResponseSchema, {});
    },
    registerSatellite: (req) =>
      registerSatellite(
        {
          spire: deps.spire,
          fleet: deps.fleet,
          trustDomain: deps.trustDomain ?? "harbor-satellite.local",
          spireServerAddress: deps.spireServerAddress ?? "spire-server",
          spireServerPort: deps.spireServerPort ?? 8081,
        },
        req,
      ),
    async issueZtrToken(req) {
      requireName("satellite", req.satellite);
      const { token, expiresAt } = await issueToken(deps.db, req.satellite, Number(req.ttlSeconds));
      return create(IssueZtrTokenResponseSchema, { token, expireTime: timestampFromDate(expiresAt) });
    },
    async tokenZtr(req, ctx) {
      if (!/^[0-9a-f]{32}$/.test(req.token))
        throw new UnauthenticatedError("ZTR token is malformed: want the 32 hex characters IssueZtrToken returned");
      const deps_ = enrolment(ctx);
      const claim = await claimToken(deps.db, req.token);
      if (!claim)
        throw new UnauthenticatedError(
          "ZTR token is unknown, already used or expired: issue a new one with IssueZtrToken",
        );
      try {
        return create(TokenZtrResponseSchema, { stateConfig: await enrol(deps_, claim.satellite) });
      } catch (error) {
        await releaseToken(deps.db, claim);
        throw error;
      }
    },
    async spiffeZtr(_req, ctx) {
      const caller = callerOf(ctx);
      if (caller.kind !== "satellite" || caller.via !== "spiffe")
        throw new PermissionDeniedError("SpiffeZtr needs a satellite X.509-SVID presented over mTLS");
      const deps_ = enrolment(ctx);
      await ensureSatellite(deps.fleet, caller.name, caller.region ?? "default");
      return create(SpiffeZtrResponseSchema, { stateConfig: await enrol(deps_, caller.name) });
    },
  };
}

/** A satellite that proves a SPIFFE ID Ground Control has not seen is registered on the spot. */
async function ensureSatellite(
  fleet: Client<typeof FleetService> | undefined,
  name: string,
  region: string,
): Promise<void> {
  if (!fleet) throw new UnavailableError("auto-registration needs the fleet service");
  try {
    // The deprecated names too until v0.3: a fleet process not yet upgraded reads only those.
    await fleet.getSatellite({ satellite: name, name });
  } catch (error) {
    if (!(error instanceof ConnectError) || error.code !== Code.NotFound) throw error;
    await fleet.createSatellite({ satellite: name, name, region }).catch((e: unknown) => {
      // Another replica registered it first: fine.
      if (!(e instanceof ConnectError) || e.code !== Code.AlreadyExists) throw e;
    });
  }
}
