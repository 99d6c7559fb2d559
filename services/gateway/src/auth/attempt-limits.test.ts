import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { RateLimitedError } from "../rate-limiter.js";
import { createAttemptLimits, DEFAULT_ATTEMPT_POLICY, type AttemptLimits } from "./attempt-limits.js";

/** Reserves, or says why not. */
function tryReserve(limits: AttemptLimits, source: string, account: string, guessable = true) {
  try {
    return limits.reserve(source, account, { guessable });
  } catch (error) {
    if (error instanceof RateLimitedError) return error;
    throw error;
  }
}

const refused = (x: unknown): x is RateLimitedError => x instanceof RateLimitedError;

describe("attempt limits", () => {
  it("lets only as many attempts run at once as failures remain before a backoff", () => {
    const limits = createAttemptLimits({}, () => 0);
    const outcomes = Array.from({ length: 60 }, () => tryReserve(limits, "203.0.113.1", "admin"));
    const granted = outcomes.filter((o) => !refused(o));
    expect(granted).toHaveLength(DEFAULT_ATTEMPT_POLICY.freeFailures);
    const first = outcomes.find(refused);
    expect(first?.code).toBe(Code.ResourceExhausted);
    expect(first?.message).toMatch(/try again in \d+ s/);
  });

  it("backs a (source, account) pair off exponentially after the free failures, and a success clears it", () => {
    let t = 0;
    const limits = createAttemptLimits({}, () => t);
    const fail = () => {
      const a = tryReserve(limits, "203.0.113.1", "admin");
      if (refused(a)) return a;
      a.failed();
      return undefined;
    };
    for (let i = 0; i < 5; i++) expect(fail()).toBeUndefined();
    expect(fail()?.retryAfterSeconds).toBe(1);
    t += 1_000;
    expect(fail()).toBeUndefined(); // the sixth failure: 2 s
    expect(fail()?.retryAfterSeconds).toBe(2);
    t += 2_000;
    expect(fail()).toBeUndefined(); // the seventh: 4 s
    expect(fail()?.retryAfterSeconds).toBe(4);
    t += 4_000;
    const ok = tryReserve(limits, "203.0.113.1", "admin");
    if (refused(ok)) throw ok;
    ok.succeeded();
    for (let i = 0; i < 5; i++) expect(fail()).toBeUndefined();
  });

  it("caps the backoff, and forgets a pair after a day without failures", () => {
    let t = 0;
    const limits = createAttemptLimits({}, () => t);
    for (let failures = 0; failures < 20;) {
      const a = tryReserve(limits, "203.0.113.1", "admin");
      if (refused(a)) {
        expect(a.retryAfterSeconds).toBeLessThanOrEqual(DEFAULT_ATTEMPT_POLICY.maxBackoffMs / 1000);
        t += a.retryAfterSeconds * 1000;
        continue;
      }
      a.failed();
      failures += 1;
    }
    const blocked = tryReserve(limits, "203.0.113.1", "admin");
    expect(refused(blocked) && blocked.retryAfterSeconds).toBe(DEFAULT_ATTEMPT_POLICY.maxBackoffMs / 1000);
    t += DEFAULT_ATTEMPT_POLICY.forgetAfterMs + 1;
    for (let i = 0; i < 5; i++) {
      const a = tryReserve(limits, "203.0.113.1", "admin");
      expect(refused(a)).toBe(false);
      if (!refused(a)) a.failed();
    }
  });

  it("does not let one address's failures touch another's", () => {
    const limits = createAttemptLimits({}, () => 0);
    for (let i = 0; i < 40; i++) {
      const a = tryReserve(limits, "198.51.100.66", "admin");
      if (!refused(a)) a.failed();
    }
    expect(refused(tryReserve(limits, "198.51.100.66", "admin"))).toBe(true);
    expect(refused(tryReserve(limits, "192.0.2.10", "admin"))).toBe(false);
  });

  it("limits failing checks per source over all accounts, giving a success its token back", () => {
    const limits = createAttemptLimits({}, () => 0);
    let slow = 0;
    for (let robot = 0; robot < 20; robot++) {
      for (let i = 0; i < 5; i++) {
        const a = tryReserve(limits, "2001:db8:7:7::1", `robot$edge-${robot}`, false);
        if (refused(a)) continue;
        slow += 1;
        a.failed();
      }
    }
    expect(slow).toBe(DEFAULT_ATTEMPT_POLICY.sourceFailuresPerMinute);
    // Another address in the same /64 is the same source.
    const sameNet = tryReserve(limits, "2001:db8:7:7::2", "robot$edge-99", false);
    expect(refused(sameNet) && sameNet.message).toMatch(/from your address: try again in 2 s/);

    const fresh = createAttemptLimits({}, () => 0);
    for (let i = 0; i < 100; i++) {
      const a = tryReserve(fresh, "192.0.2.1", `robot$edge-${i}`, false);
      if (refused(a)) throw a;
      a.succeeded();
    }
  });

  it("has a per-account ceiling over all sources that spares sources which logged in before", () => {
    let t = 0;
    const limits = createAttemptLimits({ accountCeiling: 20 }, () => t);
    const admin = tryReserve(limits, "192.0.2.10", "admin");
    if (refused(admin)) throw admin;
    admin.succeeded();
    let failures = 0;
    for (let host = 1; host <= 10; host++) {
      for (let i = 0; i < 5; i++) {
        const a = tryReserve(limits, `198.51.100.${host}`, "admin");
        if (refused(a)) continue;
        failures += 1;
        a.failed();
      }
    }
    expect(failures).toBe(20);
    const stranger = tryReserve(limits, "203.0.113.200", "admin");
    expect(refused(stranger) && stranger.message).toMatch(/too many failed sign-ins to this account: try again in/);
    // Robots' random secrets are not guessable: the ceiling is not theirs.
    expect(refused(tryReserve(limits, "203.0.113.200", "robot$edge-1", false))).toBe(false);
    // The admin's address logged in before: it may still try.
    expect(refused(tryReserve(limits, "192.0.2.10", "admin"))).toBe(false);
    t += DEFAULT_ATTEMPT_POLICY.accountWindowMs;
    expect(refused(tryReserve(limits, "203.0.113.201", "admin"))).toBe(false);
  });

  it("gives back what a released attempt held, and settles each attempt once", () => {
    const limits = createAttemptLimits({ sourceFailuresPerMinute: 2 }, () => 0);
    for (let i = 0; i < 10; i++) {
      const a = tryReserve(limits, "192.0.2.1", "robot$edge-1", false);
      if (refused(a)) throw a;
      a.released();
      a.failed();
    }
    const last = tryReserve(limits, "192.0.2.1", "robot$edge-1", false);
    expect(refused(last)).toBe(false);
  });
});
