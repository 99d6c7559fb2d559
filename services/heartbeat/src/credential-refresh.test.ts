import { describe, expect, it } from "vitest";
import { rotationDue, rotationStep, type RotationPolicy } from "./credential-refresh.js";

const DAY = 86_400_000;
const issuedAt = new Date(Date.UTC(2026, 0, 1));
const after = (ms: number) => new Date(issuedAt.getTime() + ms);
const policy = (p: Partial<RotationPolicy>): RotationPolicy => ({ maxAgeSeconds: 0, remainingFraction: 0, ...p });

describe("rotationDue", () => {
  it("rotates once the secret reaches the maximum age, not a second earlier", () => {
    const p = policy({ maxAgeSeconds: 3_600 });
    expect(rotationDue({ issuedAt, expiresAt: null }, p, after(3_599_999))).toBe(false);
    expect(rotationDue({ issuedAt, expiresAt: null }, p, after(3_600_000))).toBe(true);
  });

  it("rotates when less than the fraction of the time to the robot's expiry remains", () => {
    const p = policy({ remainingFraction: 0.25 });
    const expiresAt = after(40 * DAY);
    expect(rotationDue({ issuedAt, expiresAt }, p, after(30 * DAY))).toBe(false); // exactly 25 % left
    expect(rotationDue({ issuedAt, expiresAt }, p, after(30 * DAY + 1))).toBe(true);
  });

  it("never rotates a never-expiring robot by fraction, nor with both settings off", () => {
    expect(rotationDue({ issuedAt, expiresAt: null }, policy({ remainingFraction: 0.9 }), after(999 * DAY))).toBe(
      false,
    );
    expect(rotationDue({ issuedAt, expiresAt: after(DAY) }, policy({}), after(DAY - 1))).toBe(false);
  });

  it("does not loop after a rotation: the new secret's window starts at its issue", () => {
    const p = policy({ remainingFraction: 0.5 });
    const expiresAt = after(10 * DAY);
    const rotatedAt = after(6 * DAY); // 40 % left: due
    expect(rotationDue({ issuedAt, expiresAt }, p, rotatedAt)).toBe(true);
    expect(rotationDue({ issuedAt: rotatedAt, expiresAt }, p, after(6 * DAY + 1))).toBe(false);
    expect(rotationDue({ issuedAt: rotatedAt, expiresAt }, p, after(8 * DAY + 1))).toBe(true);
  });
});

describe("rotationStep", () => {
  const due = policy({ maxAgeSeconds: 1 });
  const pending = { issuedAt, expiresAt: null, pendingRotation: "r1" };

  it("confirms when the satellite echoes the pending rotation", () => {
    expect(rotationStep(pending, "r1", due, after(DAY))).toEqual({ kind: "confirm" });
  });

  it("rotates again when the answer carrying the rotation was lost (no or an older ack)", () => {
    expect(rotationStep(pending, "", policy({}), issuedAt)).toEqual({ kind: "rotate", reason: "unconfirmed" });
    expect(rotationStep(pending, "r0", policy({}), issuedAt)).toEqual({ kind: "rotate", reason: "unconfirmed" });
  });

  it("follows the schedule when nothing is pending, whatever stale ack the satellite sends", () => {
    const settled = { issuedAt, expiresAt: null, pendingRotation: null };
    expect(rotationStep(settled, "r1", due, after(999))).toEqual({ kind: "none" });
    expect(rotationStep(settled, "r1", due, after(1_000))).toEqual({ kind: "rotate", reason: "due" });
  });
});
