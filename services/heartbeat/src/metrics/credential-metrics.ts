// `ground_control.robot.secret_rotations`: credential refresh (credential-refresh.ts), by outcome:
// delivered (rotated on schedule and handed to the satellite), redelivered (rotated again because
// the previous delivery was not acknowledged: a lost answer, or a satellite that could not save it),
// confirmed (the satellite acknowledged; its old secret is no longer accepted), failed (the
// rotation could not be done; retried at the next heartbeat). A redelivery count that keeps
// growing for a satellite points at one that receives but cannot save its credentials.
import { instrumentScope } from "@harbor-satellite/telemetry/metrics";

export type RotationOutcome = "delivered" | "redelivered" | "confirmed" | "failed";

const rotations = instrumentScope("@harbor-satellite/heartbeat").counter("ground_control.robot.secret_rotations", {
  unit: "{rotation}",
  description:
    "Robot secret rotations of the credential refresh by outcome: delivered, redelivered, confirmed, failed.",
});

const ATTRIBUTES: Record<RotationOutcome, { outcome: RotationOutcome }> = {
  delivered: { outcome: "delivered" },
  redelivered: { outcome: "redelivered" },
  confirmed: { outcome: "confirmed" },
  failed: { outcome: "failed" },
};

export function countRotation(outcome: RotationOutcome): void {
  rotations.add(1, ATTRIBUTES[outcome]);
}
