// A service served by another process, mounted on this gateway: every unary rpc is forwarded
// with the caller this gateway authenticated (and the URL the caller reached it at), so the
// gateway stays the only door.
import type { DescService } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { callerOf, publicUrlOf, type ServiceModule } from "@harbor-satellite/rpc";
import { forwardingHeaders, remoteTransport } from "./service-clients.js";

type UnaryCall = (request: unknown, options: { headers: Headers; signal: AbortSignal }) => Promise<unknown>;

export function createRemoteModule(
  name: string,
  service: DescService,
  baseUrl: string,
  internalToken: string,
): ServiceModule {
  return {
    name,
    serviceNames: [service.typeName],
    routes(router) {
      const client = createClient(service, remoteTransport(baseUrl, internalToken)) as unknown as Record<
        string,
        UnaryCall
      >;
      const impl: Record<string, (req: unknown, ctx: Parameters<typeof callerOf>[0]) => Promise<unknown>> = {};
      for (const method of service.methods) {
        if (method.methodKind !== "unary") continue;
        impl[method.localName] = (req, ctx) =>
          client[method.localName](req, {
            headers: forwardingHeaders(callerOf(ctx), publicUrlOf(ctx)),
            signal: ctx.signal,
          });
      }
      router.service(service, impl as never);
    },
  };
}
