// Credential refresh: Ground Control rotates a satellite's Harbor robot secret before it runs out
// and hands the new one to that satellite only, in the answer to its own authenticated heartbeat.
//
// Only the scrypt hash of a secret is ever stored, so a lost answer cannot be repeated: the next
// heartbeat gets a fresh secret instead (a new Harbor rotation). The window, explicitly:
//   - Harbor keeps one secret per robot: its old secret is refused by Harbor from the rotation on;
//   - Ground Control keeps accepting the old secret (previous_secret_hash, for the token-mode
//     satellite's Basic credentials) until the satellite echoes the rotation id, i.e. has saved the
//     new secret; while it does not, each heartbeat rotates again and the hash of the secret it held
//     before the first unconfirmed rotation stays the one accepted beside the newest.
// Only satellites that send accepts_robot_credentials are rotated: an older satellite would drop the
// secret and be locked out. A failed rotation never fails the heartbeat: it is logged and retried
// at the next one.
import { randomUUID } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import type { Database } from "@harbor-satellite/db";
import { confirmRobotRotation, findRobotCredentials, recordRobotRotation } from "@harbor-satellite/registry";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Logger } from "@harbor-satellite/telemetry";
import { countRotation } from "./metrics/credential-metrics.js";

/** When a robot secret is due for rotation. Both 0: never (except to finish an unconfirmed one). */
export interface RotationPolicy {
  /** ROBOT_SECRET_MAX_AGE_SECONDS: rotate once the secret is this old; 0 disables. */
  maxAgeSeconds: number;
  /**
   * ROBOT_SECRET_ROTATE_REMAINING: for an expiring robot, rotate once less than this fraction of
   * the time from the secret's issue to the robot's expiry remains (0.5: at half-life); 0 disables.
   */
  remainingFraction: number;
}

export const DEFAULT_ROTATION_POLICY: Readonly<RotationPolicy> = { maxAgeSeconds: 0, remainingFraction: 0.5 };

export interface SecretState {
  issuedAt: Date;
  /** The robot's expiry in Harbor; null when it never expires. */
  expiresAt: Date | null;
  /** A rotation delivered and not acknowledged yet. */
  pendingRotation: string | null;
}

export type RotationStep =
  | { kind: "none" }
  /** The satellite saved the pending rotation's secret: stop accepting the old one. */
  | { kind: "confirm" }
  /** Rotate now: the schedule says so, or a delivery was not acknowledged (lost answer). */
  | { kind: "rotate"; reason: "due" | "unconfirmed" };

/** Whether the schedule wants a new secret now (pure). */
export function rotationDue(state: Pick<SecretState, "issuedAt" | "expiresAt">, policy: RotationPolicy, now: Date) {
  const issued = state.issuedAt.getTime();
  const at = now.getTime();
  if (policy.maxAgeSeconds > 0 && at - issued >= policy.maxAgeSeconds * 1000) return true;
  if (policy.remainingFraction > 0 && state.expiresAt) {
    const expires = state.expiresAt.getTime();
    const lifetime = expires - issued;
    if (lifetime > 0 && expires - at < policy.remainingFraction * lifetime) return true;
  }
  return false;
}

/** What one heartbeat from a satellite that accepts credentials should do (pure). */
export function rotationStep(state: SecretState, ack: string, policy: RotationPolicy, now: Date): RotationStep {
  if (state.pendingRotation) {
    return ack === state.pendingRotation ? { kind: "confirm" } : { kind: "rotate", reason: "unconfirmed" };
  }
  return rotationDue(state, policy, now) ? { kind: "rotate", reason: "due" } : { kind: "none" };
}

export interface DeliveredCredentials {
  username: string;
  password: string;
  rotationId: string;
}

export interface CredentialRefresher {
  /** Called for a heartbeat the satellite itself sent with accepts_robot_credentials. */
  onHeartbeat(satellite: string, ack: string): Promise<DeliveredCredentials | undefined>;
}

export interface CredentialRefresherDeps {
  db: Database;
  registry: Client<typeof RegistryService>;
  policy: RotationPolicy;
  now: () => Date;
  logger: Logger;
}

export function createCredentialRefresher(deps: CredentialRefresherDeps): CredentialRefresher {
  const { db, logger } = deps;

  const confirm = async (satellite: string, satelliteId: number, rotation: string) => {
    await confirmRobotRotation(db, satelliteId, rotation, deps.now());
    countRotation("confirmed");
    logger.info(
      { satellite, rotation },
      "robot secret rotation confirmed by the satellite; old secret no longer accepted",
    );
  };

  /** Rotates in Harbor (the registry service stores the new hash), then keeps the held secret's hash. */
  const rotate = async (satellite: string, satelliteId: number, heldHash: string, reason: "due" | "unconfirmed") => {
    const { robot, secret } = await deps.registry.rotateRobotSecret({ satellite });
    const rotationId = randomUUID();
    await recordRobotRotation(db, satelliteId, heldHash, rotationId);
    countRotation(reason === "due" ? "delivered" : "redelivered");
    logger.info({ satellite, robot: robot?.name, rotation: rotationId, reason }, "robot secret rotated; delivering it");
    return { username: robot?.name ?? "", password: secret, rotationId };
  };

  return {
    async onHeartbeat(satellite, ack) {
      try {
        const robot = await findRobotCredentials(db, { satellite });
        if (!robot) return undefined;
        const state = { ...robot, issuedAt: robot.secretIssuedAt };
        const step = rotationStep(state, ack, deps.policy, deps.now());
        if (step.kind === "confirm") await confirm(satellite, state.satelliteId, ack);
        if (step.kind !== "rotate") return undefined;
        // The secret the satellite holds: the one before the first unconfirmed rotation.
        const held = state.pendingRotation ? (state.previousSecretHash ?? state.secretHash) : state.secretHash;
        return await rotate(satellite, state.satelliteId, held, step.reason);
      } catch (error) {
        countRotation("failed");
        logger.warn({ err: error, satellite }, "robot secret rotation failed; retrying at the next heartbeat");
        return undefined;
      }
    },
  };
}
