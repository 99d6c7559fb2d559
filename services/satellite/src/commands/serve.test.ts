import { describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { DEFAULT_SERVE_ADDR, parseAddr, parseDuration, parseServeArgs } from "./serve.js";

describe("satellite serve flags", () => {
  it("defaults to 127.0.0.1:8585, read-write, no scrub or GC", () => {
    expect(DEFAULT_SERVE_ADDR).toBe("127.0.0.1:8585");
    expect(parseServeArgs(["--data-dir", "/d"], {})).toMatchObject({
      dataDir: "/d",
      host: "127.0.0.1",
      port: 8585,
      readOnly: false,
      anonymousWrites: false,
      writeCredentialsFile: undefined,
      limits: {},
      uploads: {},
      scrubIntervalMs: undefined,
      gcIntervalMs: undefined,
      verify: false,
    });
  });

  it("serves anonymous writes only on loopback; elsewhere the operator chooses read-only, credentials or anonymous writes", () => {
    expect(parseServeArgs(["--data-dir", "/d", "--addr", "[::1]:5000"], {}).readOnly).toBe(false);
    expect(() => parseServeArgs(["--data-dir", "/d", "--addr", "0.0.0.0:5000"], {})).toThrow(
      /reachable from other machines.*--read-only, --registry-write-credentials-file FILE, or --anonymous-writes/,
    );
    expect(() => parseServeArgs(["--data-dir", "/d", "--addr", ":5000"], {})).toThrow(UsageError);
    expect(
      parseServeArgs(["--data-dir", "/d", "--addr", "0.0.0.0:5000", "--registry-write-credentials-file", "/etc/w"], {})
        .writeCredentialsFile,
    ).toBe("/etc/w");
    expect(
      parseServeArgs(["--data-dir", "/d", "--addr", "0.0.0.0:5000", "--anonymous-writes"], {}).anonymousWrites,
    ).toBe(true);
    expect(parseServeArgs(["--data-dir", "/d", "--addr", "0.0.0.0:5000", "--verify"], {}).verify).toBe(true);
    expect(() =>
      parseServeArgs(["--data-dir", "/d", "--read-only", "--registry-write-credentials-file", "/etc/w"], {}),
    ).toThrow(/choose one of --read-only, --registry-write-credentials-file/);
  });

  it("reads the listener's limits", () => {
    const c = parseServeArgs(
      [
        "--data-dir",
        "/d",
        "--max-connections",
        "64",
        "--max-connections-per-source",
        "8",
        "--idle-timeout",
        "30s",
        "--max-upload-sessions",
        "16",
        "--max-upload-sessions-per-source",
        "4",
      ],
      {},
    );
    expect([c.limits, c.uploads]).toEqual([
      { maxConnections: 64, maxConnectionsPerSource: 8, idleMs: 30_000 },
      { maxSessions: 16, maxSessionsPerSource: 4 },
    ]);
  });

  it("reads every option", () => {
    const c = parseServeArgs([
      "--data-dir",
      "/d",
      "--addr",
      "0.0.0.0:5000",
      "--read-only",
      "--scrub-interval",
      "24h",
      "--scrub-rate",
      "10",
      "--gc-interval",
      "90m",
      "--log-level",
      "debug",
      "--config",
      "/etc/satellite/config.json",
    ]);
    expect(c).toMatchObject({
      configFile: "/etc/satellite/config.json",
      host: "0.0.0.0",
      port: 5000,
      readOnly: true,
      scrubIntervalMs: 86_400_000,
      scrubBytesPerSecond: 10e6,
      gcIntervalMs: 5_400_000,
      logLevel: "debug",
    });
  });

  it("parses addresses and durations", () => {
    expect(parseAddr("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseAddr(":8585")).toEqual({ host: "0.0.0.0", port: 8585 });
    expect(parseDuration("30s", "--x")).toBe(30_000);
    expect(parseDuration("1500", "--x")).toBe(1500);
  });

  it("refuses what it cannot use with a UsageError", () => {
    for (const argv of [
      [],
      ["--data-dir", "/d", "--addr", "nohost"],
      ["--data-dir", "/d", "--addr", "h:70000"],
      ["--data-dir", "/d", "--gc-interval", "soon"],
      ["--data-dir", "/d", "--log-level", "loud"],
      ["--data-dir", "/d", "--scrub-rate", "0"],
      ["--data-dir", "/d", "--bogus"],
      ["--data-dir", "/d", "--max-connections", "lots"],
      ["--data-dir", "/d", "--idle-timeout", "0s"],
    ]) {
      expect(() => parseServeArgs(argv), argv.join(" ")).toThrow(UsageError);
    }
  });
});
