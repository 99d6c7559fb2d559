// `ground_control.robot.renewals`: keeping satellites' Harbor robots alive (robot-renewal.ts), by
// outcome: queued (the sweep found the robot expiring within the window and queued sync-robot),
// renewed (EnsureRobot moved its expiry), failed (Harbor refused or was unreachable for the PUT).
import { instrumentScope } from "@harbor-satellite/telemetry/metrics";

export type RenewalOutcome = "queued" | "renewed" | "failed";

const renewals = instrumentScope("@harbor-satellite/registry").counter("ground_control.robot.renewals", {
  unit: "{robot}",
  description: "Robot account renewals by outcome: queued by the sweep, renewed in Harbor, failed.",
});

const ATTRIBUTES: Record<RenewalOutcome, { outcome: RenewalOutcome }> = {
  queued: { outcome: "queued" },
  renewed: { outcome: "renewed" },
  failed: { outcome: "failed" },
};

export function countRenewals(outcome: RenewalOutcome, count = 1): void {
  if (count > 0) renewals.add(count, ATTRIBUTES[outcome]);
}
