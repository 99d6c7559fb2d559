// Who is calling, as the gateway established it (admin session, satellite SVID or robot
// credentials, another Ground Control service). Handlers read it from the Connect context;
// nothing else sets it.
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

export type Caller =
  | { kind: "anonymous" }
  | { kind: "admin"; username: string }
  | { kind: "satellite"; name: string; region?: string; spiffeId?: string; via: "spiffe" | "robot" }
  | { kind: "service"; spiffeId: string };

export const callerKey = createContextKey<Caller>({ kind: "anonymous" }, { description: "verified caller" });

export function callerOf(ctx: HandlerContext): Caller {
  return ctx.values.get(callerKey);
}
