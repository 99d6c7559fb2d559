// The unary method implementations the service modules register, kept beside Connect's own
// router so the lean unary path can call them. Registration goes through a router that records
// each unary method and passes everything on to Connect's router unchanged.
// A service or rpc registered WITH options (its own interceptors, limits, JSON options or
// protocols, which Connect merges over the router's) is not recorded: the lean path knows only
// the router's options, so such methods are served by Connect's handlers alone and answer exactly
// as Connect says.
import type { DescMethod, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";

export type UnaryImpl = (request: unknown, context: HandlerContext) => unknown;

export interface UnaryMethod {
  service: DescService;
  method: DescMethodUnary;
  impl: UnaryImpl;
}

/** Request path (`/<service>/<method>`) → implementation. */
export type UnaryMethods = ReadonlyMap<string, UnaryMethod>;

export function recordingRouter(target: ConnectRouter): { router: ConnectRouter; methods: UnaryMethods } {
  const methods = new Map<string, UnaryMethod>();
  const record = (method: DescMethod, impl: UnaryImpl) => {
    if (method.methodKind === "unary")
      methods.set(`/${method.parent.typeName}/${method.name}`, {
        service: method.parent,
        method: method as DescMethodUnary,
        impl,
      });
  };
  const router: ConnectRouter = {
    get handlers() {
      return target.handlers;
    },
    service(service, impl, options) {
      const implementations = impl as Record<string, unknown>;
      for (const method of options ? [] : service.methods) {
        const fn = implementations[method.localName];
        if (typeof fn === "function") record(method, fn.bind(impl) as UnaryImpl);
      }
      target.service(service, impl, options);
      return router;
    },
    rpc(method, impl, options) {
      if (!options) record(method, impl as UnaryImpl);
      target.rpc(method, impl, options);
      return router;
    },
  };
  return { router, methods };
}
