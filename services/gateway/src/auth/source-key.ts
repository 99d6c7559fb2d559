// The key a client's network address is limited under. IPv4 addresses (also when written as
// IPv4-mapped IPv6, as a dual-stack listener reports them) count one by one; IPv6 addresses
// count by their /64, since one host is usually handed a whole /64 and could otherwise take a
// fresh address for every attempt.
import { isIPv4, isIPv6 } from "node:net";

export function sourceKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address.split("%")[0]).join(":")}::/64`;
}

/** The first four groups (the /64) of an IPv6 address, `::` filled in, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  // An embedded IPv4 address (only ever last) stands for two groups.
  const width = (parts: string[]) => parts.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const left = groups(head);
  const right = groups(tail);
  const missing = tail === undefined ? 0 : 8 - width(left) - width(right);
  return [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right]
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16));
}
