// @harbor-satellite/identity: the identity ServiceModule, plus what the gateway needs to
// recognise admin sessions.
import { IdentityService } from "@harbor-satellite/gen/harbor/satellite/identity/v1/identity_pb";
import type { ServiceModule } from "@harbor-satellite/rpc";
import { countedEnrolment } from "./enrolment-metrics.js";
import { createIdentityService, type IdentityDeps } from "./identity-service.js";

export { ensureAdminUser, checkPassword, AdminPasswordMissingError, ADMIN_USERNAME } from "./admin-users.js";
export { findSessionUser } from "./sessions.js";
export { createSecretChecker, defaultSecretChecker, WRONG_SECRET_TTL_MS } from "./secret-checker.js";
export type { SecretChecker, SecretCheckerOptions, SecretVerdict } from "./secret-checker.js";
export type { IdentityDeps } from "./identity-service.js";

export function createIdentityModule(deps: IdentityDeps): ServiceModule {
  return {
    name: "identity",
    serviceNames: [IdentityService.typeName],
    routes(router) {
      const service = createIdentityService(deps);
      router.service(IdentityService, {
        ...service,
        tokenZtr: countedEnrolment("token", service.tokenZtr),
        spiffeZtr: countedEnrolment("spiffe", service.spiffeZtr),
      });
    },
  };
}
