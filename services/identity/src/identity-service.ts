// IdentityService handlers. Login and Logout are built; enrolment rpcs (RegisterSatellite, ZTR)
// answer Unimplemented until the enrolment work lands.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { IdentityService} from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import { LoginResponseSchema, LogoutResponseSchema } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import type { Database } from "@harbor-satellite/db";
import { InvalidArgumentError, UnauthenticatedError } from "@harbor-satellite/rpc";
import { checkPassword } from "./admin-users.js";
import { createSession, deleteSession } from "./sessions.js";

export interface IdentityDeps {
  db: Database;
}

function bearerToken(ctx: HandlerContext): string | undefined {
  const header = ctx.requestHeader.get("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : undefined;
}

function notYet(rpc: string): never {
  throw new ConnectError(`${rpc} is not available in this build`, Code.Unimplemented);
}

export function createIdentityService(deps: IdentityDeps): ServiceImpl<typeof IdentityService> {
  return {
    async login(req) {
      if (!req.username || !req.password) throw new InvalidArgumentError("username and password are required");
      const user = await checkPassword(deps.db, req.username, req.password);
      const session = await createSession(deps.db, user.id);
      return create(LoginResponseSchema, { sessionToken: session.token, expireTime: timestampFromDate(session.expiresAt) });
    },
    async logout(_req, ctx) {
      const token = bearerToken(ctx);
      if (!token) throw new UnauthenticatedError("logout needs the session's bearer token");
      await deleteSession(deps.db, token);
      return create(LogoutResponseSchema, {});
    },
    registerSatellite: () => notYet("RegisterSatellite"),
    issueZtrToken: () => notYet("IssueZtrToken"),
    spiffeZtr: () => notYet("SpiffeZtr"),
    tokenZtr: () => notYet("TokenZtr"),
  };
}
