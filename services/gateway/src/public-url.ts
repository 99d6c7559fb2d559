// The URL a plain HTTP request (compat routes, the OCI endpoint) reached this listener at:
// https on a TLS socket, http otherwise, and the authority the client named (`:authority` over
// HTTP/2, Host over HTTP/1.1). Connect rpcs get the same from connect-node's request URL
// (authorization.ts). Behind a proxy that changes either, set GROUND_CONTROL_URL instead.
import type { TLSSocket } from "node:tls";
import { originOf } from "@harbor-satellite/rpc";
import type { HttpRequest } from "./http-types.js";

/** host, IPv4 or [IPv6], with an optional port: nothing a client could use to inject a path. */
const AUTHORITY = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function requestPublicUrl(req: HttpRequest): string | undefined {
  const encrypted = (req.socket as TLSSocket | undefined)?.encrypted === true;
  const authority =
    "authority" in req && typeof req.authority === "string" && req.authority ? req.authority : req.headers.host;
  if (typeof authority !== "string" || !AUTHORITY.test(authority)) return undefined;
  return originOf(`${encrypted ? "https" : "http"}://${authority}`);
}
