// Ground Control without HARBOR_URL still runs (fleet edits are kept and published later by the
// outbox); the registry service then answers every rpc with Unavailable and says what to set.
import type { ServiceImpl } from "@connectrpc/connect";
import { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import { UnavailableError, type ServiceModule } from "@harbor-satellite/rpc";

export function createUnconfiguredRegistryModule(): ServiceModule {
  const refuse = async (): Promise<never> => {
    throw new UnavailableError("Harbor is not configured: set HARBOR_URL, HARBOR_USERNAME and HARBOR_PASSWORD");
  };
  const impl = Object.fromEntries(RegistryService.methods.map((m) => [m.localName, refuse])) as unknown as ServiceImpl<
    typeof RegistryService
  >;
  return {
    name: "registry",
    serviceNames: [RegistryService.typeName],
    routes: (router) => router.service(RegistryService, impl),
  };
}
