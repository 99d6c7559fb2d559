// Caps open connections, in all and per source address, so a client that opens thousands of
// sockets runs into its own cap instead of the process's file limit. Connections over a cap are
// closed at once, before any byte is read; every other client goes on being served.
import { isIPv6 } from "node:net";
import type { Server, Socket } from "node:net";
import type { ServerLimits } from "./limits.js";

export interface ConnectionCap {
  /** Connections open now. */
  readonly open: number;
  /** Connections refused so far (either cap). */
  readonly refused: number;
  /** Connections open now from the source of `address`. */
  openFrom(address: string): number;
}

export interface ConnectionCapOptions {
  /** Called for each refused connection; keep it cheap (a flood calls it often). */
  onRefused?: (reason: "total" | "per-source", source: string) => void;
}

/**
 * The key a source is counted under: an IPv4 address as is (IPv4-mapped IPv6 unwrapped), an
 * IPv6 address by its /64, since one host commonly holds a whole /64.
 */
export function sourceKey(address: string | undefined): string {
  if (!address) return "unknown";
  if (address.startsWith("::ffff:") && address.includes(".")) return address.slice(7);
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head, tail = ""] = address.split("%")[0].split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") && tail ? tail.split(":") : [];
  const fill = address.includes("::") ? Array<string>(8 - left.length - right.length).fill("0") : [];
  return [...left, ...fill, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}

/** Watches `server`'s connections; runs before the server's own connection handling. */
export function capConnections(
  server: Server,
  limits: Pick<ServerLimits, "maxConnections" | "maxConnectionsPerSource">,
  options: ConnectionCapOptions = {},
): ConnectionCap {
  const bySource = new Map<string, number>();
  let open = 0;
  let refused = 0;
  const refuse = (socket: Socket, reason: "total" | "per-source", source: string) => {
    refused++;
    options.onRefused?.(reason, source);
    socket.destroy();
  };
  // Node refuses past maxConnections itself (the "drop" event), before "connection".
  server.maxConnections = limits.maxConnections;
  server.on("drop", (data?: { remoteAddress?: string }) => {
    refused++;
    options.onRefused?.("total", sourceKey(data?.remoteAddress));
  });
  server.prependListener("connection", (socket: Socket) => {
    const source = sourceKey(socket.remoteAddress);
    const count = bySource.get(source) ?? 0;
    if (count >= limits.maxConnectionsPerSource) return refuse(socket, "per-source", source);
    bySource.set(source, count + 1);
    open++;
    socket.once("close", () => {
      open--;
      const left = (bySource.get(source) ?? 1) - 1;
      if (left <= 0) bySource.delete(source);
      else bySource.set(source, left);
    });
  });
  return {
    get open() {
      return open;
    },
    get refused() {
      return refused;
    },
    openFrom: (address) => bySource.get(sourceKey(address)) ?? 0,
  };
}
