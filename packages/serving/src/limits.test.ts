import { describe, expect, it } from "vitest";
import { connectionCapFor, defaultLimits, openFileLimit, resolveLimits } from "./limits.js";

const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;

describe("server limits", () => {
  it("reads the soft open-file limit", () => {
    expect(openFileLimit(() => PROC_LIMITS)).toBe(1024);
    expect(openFileLimit(() => "garbage")).toBeUndefined();
    expect(
      openFileLimit(() => {
        throw new Error("no /proc");
      }),
    ).toBeUndefined();
  });

  it("keeps the connection cap under the file limit, leaving room for the database and files", () => {
    expect(connectionCapFor(1024)).toBe(768);
    expect(connectionCapFor(256)).toBe(128);
    expect(connectionCapFor(1_000_000)).toBe(16_384);
    expect(connectionCapFor(undefined)).toBe(16_384);
  });

  it("lets one source hold an eighth of the connections, at least 64", () => {
    expect(defaultLimits(1024).maxConnectionsPerSource).toBe(96);
    expect(defaultLimits(200).maxConnectionsPerSource).toBe(64);
    expect(defaultLimits(1_000_000).maxConnectionsPerSource).toBe(2048);
  });

  it("checks overrides and names the bad field", () => {
    expect(resolveLimits({ idleMs: 5000 }, defaultLimits(1024)).idleMs).toBe(5000);
    expect(resolveLimits({ requestMs: 0 }, defaultLimits(1024)).requestMs).toBe(0);
    expect(() => resolveLimits({ idleMs: 0 })).toThrow(/idleMs must be an integer ≥ 1/);
    expect(() => resolveLimits({ maxConnections: 1.5 })).toThrow(/maxConnections/);
    expect(resolveLimits({ maxConnections: 10 }, defaultLimits(1024)).maxConnectionsPerSource).toBe(10);
  });

  it("bounds keep-alive waits by the idle timeout, and header waits by the request timeout", () => {
    expect(resolveLimits({ idleMs: 2000 }, defaultLimits(1024))).toMatchObject({ idleMs: 2000, keepAliveMs: 2000 });
    expect(resolveLimits({ requestMs: 5000 }, defaultLimits(1024))).toMatchObject({ requestMs: 5000, headersMs: 5000 });
    // 0 is "no request timeout": the header timeout stays.
    expect(resolveLimits({ requestMs: 0 }, defaultLimits(1024)).headersMs).toBe(defaultLimits(1024).headersMs);
  });
});
