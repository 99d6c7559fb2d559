// `ground_control.ztr.enrolments`: zero-touch registrations by mode and outcome, counted around
// the TokenZtr and SpiffeZtr handlers, which the original's REST routes (`/satellites/ztr/…`,
// `/satellites/spiffe-ztr`) call too. Refusals before the handler (the per-address ZTR budget in
// the gateway) show in rpc.server.call.duration as resource_exhausted, not here.
import { toConnectError } from "@harbor-satellite/rpc";
import { connectCodeName } from "@harbor-satellite/telemetry";
import { instrumentScope, type Attributes } from "@harbor-satellite/telemetry/metrics";

export type ZtrMode = "token" | "spiffe";

const enrolments = instrumentScope("@harbor-satellite/identity").counter("ground_control.ztr.enrolments", {
  unit: "{enrolment}",
  description:
    "Zero-touch registrations by ztr.mode (token, spiffe) and outcome: success, or the code it was refused with (unauthenticated, unavailable…).",
});

const sets = new Map<string, Attributes>();

function attributes(mode: ZtrMode, outcome: string): Attributes {
  const key = `${mode} ${outcome}`;
  let set = sets.get(key);
  if (!set) sets.set(key, (set = { "ztr.mode": mode, outcome }));
  return set;
}

/** The handler, counting each call's outcome. */
export function countedEnrolment<A extends unknown[], R>(
  mode: ZtrMode,
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      const result = await handler(...args);
      enrolments.add(1, attributes(mode, "success"));
      return result;
    } catch (error) {
      enrolments.add(1, attributes(mode, connectCodeName(toConnectError(error).code)));
      throw error;
    }
  };
}
