// The network address a call came from, as the gateway's listener saw it (the TCP peer, not a
// forwarded header a client could write). Rate limits keyed by source read it here.
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

export const clientAddressKey = createContextKey<string>("unknown", { description: "client network address" });

export function clientAddressOf(ctx: Pick<HandlerContext, "values">): string {
  return ctx.values.get(clientAddressKey);
}
