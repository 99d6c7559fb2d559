// Connect clients from one Ground Control service to another: in-process through the target's
// router when this process serves it, over the network to its process otherwise. Services only
// ever talk through these generated clients.
import {
  createClient,
  createRouterTransport,
  type Client,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import {
  callerKey,
  errorMappingInterceptor,
  originOf,
  PUBLIC_URL_HEADER,
  publicUrlKey,
  type Caller,
  type ServiceModule,
} from "@harbor-satellite/rpc";
import { clientTracingInterceptor, serverTracingInterceptor, type Logger } from "@harbor-satellite/telemetry";
import { decodeForwardedCaller, encodeForwardedCaller, FORWARDED_CALLER_HEADER } from "./authenticator.js";

/**
 * Call options that make a sibling (in-process or another process) act for `caller`, who reached
 * Ground Control at `publicUrl` (when known: enrolment answers with it).
 */
export function forwardingHeaders(caller: Caller, publicUrl?: string): Headers {
  const headers = new Headers({ [FORWARDED_CALLER_HEADER]: encodeForwardedCaller(caller) });
  if (publicUrl) headers.set(PUBLIC_URL_HEADER, publicUrl);
  return headers;
}

const SERVICE_CALLER: Caller = { kind: "service", spiffeId: "internal" };

/** In-process: the call runs through the target's handlers with the same interceptors a network call gets. */
export function inProcessTransport(module: ServiceModule, logger: Logger): Transport {
  // In-process calls are trusted by construction: a route that authenticated a caller may pass
  // it on (forwardingHeaders); otherwise the call is made as Ground Control itself.
  const asService: Interceptor = (next) => async (req) => {
    const forwarded = req.header.get(FORWARDED_CALLER_HEADER);
    req.contextValues.set(callerKey, forwarded ? decodeForwardedCaller(forwarded) : SERVICE_CALLER);
    const publicUrl = req.header.get(PUBLIC_URL_HEADER);
    if (publicUrl) req.contextValues.set(publicUrlKey, originOf(publicUrl));
    return next(req);
  };
  return createRouterTransport(module.routes, {
    router: { interceptors: [serverTracingInterceptor(logger), errorMappingInterceptor(), asService] },
  });
}

/** Over the network to a sibling process that trusts the shared internal token. */
export function remoteTransport(baseUrl: string, internalToken: string): Transport {
  const authenticate: Interceptor = (next) => async (req) => {
    req.header.set("authorization", `Bearer ${internalToken}`);
    return next(req);
  };
  return createConnectTransport({
    baseUrl,
    httpVersion: "2",
    useBinaryFormat: true,
    interceptors: [clientTracingInterceptor(), authenticate],
  });
}

export function clientFor<S extends DescService>(service: S, transport: Transport): Client<S> {
  return createClient(service, transport);
}
