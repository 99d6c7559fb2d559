// Where the Workload API lives (SPIFFE_Workload_Endpoint.md §4): an explicit address, else the
// SPIFFE_ENDPOINT_SOCKET environment variable. `unix:///abs/path` (no authority, nothing but a
// path) or `tcp://<IP>:<port>` (an IP, not a name; a port; nothing else). Checked by hand, the
// same cases go-spiffe's TargetFromAddress rejects, then turned into a grpc-js target.
import { isIP } from "node:net";
import { EndpointAddressError } from "./errors.js";

export const SPIFFE_ENDPOINT_SOCKET_ENV = "SPIFFE_ENDPOINT_SOCKET";
/** The SPIRE agent's default Workload API socket. */
export const DEFAULT_SPIRE_AGENT_SOCKET = "unix:///tmp/spire-agent/public/api.sock";

/** The explicit address, else $SPIFFE_ENDPOINT_SOCKET; throws when neither is set. */
export function resolveWorkloadEndpoint(address?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = address ?? env[SPIFFE_ENDPOINT_SOCKET_ENV];
  if (!chosen) {
    throw new EndpointAddressError(`no Workload API address given and ${SPIFFE_ENDPOINT_SOCKET_ENV} is not set`);
  }
  return chosen;
}

/** Validates a Workload API address and returns the grpc-js target for it. */
export function workloadEndpointTarget(address: string): string {
  if (/[?#]/.test(address)) throw bad(address, "must not have a query or fragment");
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(address)?.[1]?.toLowerCase();
  if (scheme === "unix") return unixTarget(address);
  if (scheme === "tcp") return tcpTarget(address);
  throw bad(address, "scheme must be unix or tcp");
}

function unixTarget(address: string): string {
  const rest = address.slice("unix:".length);
  // `unix:///p` has an empty authority; `unix:/p` has none; `unix://host/p` has one (refused).
  let path: string;
  if (rest.startsWith("//")) {
    const afterSlashes = rest.slice(2);
    if (!afterSlashes.startsWith("/"))
      throw bad(address, "unix addresses must not have an authority (use unix:///abs/path)");
    path = afterSlashes;
  } else {
    path = rest;
  }
  if (path === "" || path === "/") throw bad(address, "unix addresses need the socket's path");
  if (!path.startsWith("/")) throw bad(address, "unix socket path must be absolute");
  return `unix://${path}`;
}

function tcpTarget(address: string): string {
  const rest = address.slice("tcp:".length);
  if (!rest.startsWith("//")) throw bad(address, "tcp addresses must be tcp://<IP>:<port>");
  const authority = rest.slice(2);
  if (authority.includes("/")) throw bad(address, "tcp addresses must not have a path");
  if (authority.includes("@")) throw bad(address, "tcp addresses must not have userinfo");
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(authority);
  if (!match) throw bad(address, "tcp addresses need an IP and a port");
  const host = match[1]!.replace(/^\[|\]$/g, "");
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw bad(address, "port is out of range");
  const family = isIP(host);
  if (family === 0) throw bad(address, "host must be an IP address, not a name");
  return family === 4 ? `ipv4:${host}:${port}` : `ipv6:[${host}]:${port}`;
}

function bad(address: string, why: string): EndpointAddressError {
  return new EndpointAddressError(`Workload API address ${JSON.stringify(address)}: ${why}`);
}
