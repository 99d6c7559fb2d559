// Node request/response types of the plain HTTP routes (connect-node does not export them by name).
import type { connectNodeAdapter } from "@connectrpc/connect-node";

export type HttpHandler = NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>;
export type HttpRequest = Parameters<HttpHandler>[0];
export type HttpResponse = Parameters<HttpHandler>[1];
