import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { codeName, describeError, ExitCode, exitCodeFor, NotLoggedInError, UsageError } from "./exit-codes.js";

describe("exit codes", () => {
  it("maps every Connect code to the exit code scripts can branch on", () => {
    const expected: Record<number, number> = {
      [Code.Unauthenticated]: 3,
      [Code.PermissionDenied]: 3,
      [Code.NotFound]: 4,
      [Code.AlreadyExists]: 5,
      [Code.FailedPrecondition]: 5,
      [Code.Aborted]: 5,
    };
    for (const code of Object.values(Code).filter((c): c is Code => typeof c === "number")) {
      expect(exitCodeFor(new ConnectError("x", code)), Code[code]).toBe(expected[code] ?? ExitCode.Failure);
    }
  });

  it("maps local errors: usage 2, not logged in 3, anything else 1", () => {
    expect(exitCodeFor(new UsageError("bad"))).toBe(2);
    expect(exitCodeFor(new NotLoggedInError("no"))).toBe(3);
    expect(exitCodeFor(new Error("boom"))).toBe(1);
    expect(exitCodeFor("odd")).toBe(1);
  });

  it("names codes as Connect's JSON does", () => {
    expect(codeName(Code.NotFound)).toBe("not_found");
    expect(codeName(Code.FailedPrecondition)).toBe("failed_precondition");
    expect(codeName(Code.Unauthenticated)).toBe("unauthenticated");
  });

  it("describes an error in one line: code, then the server's message", () => {
    expect(describeError(new ConnectError('satellite "x" not found', Code.NotFound))).toBe(
      'not_found: satellite "x" not found',
    );
    expect(describeError(new ConnectError("line one\n  line two", Code.Internal))).toBe("internal: line one line two");
    expect(describeError(new ConnectError("", Code.Unavailable))).toBe("unavailable: unavailable");
    expect(describeError(new ConnectError("session expired", Code.Unauthenticated))).toBe(
      "unauthenticated: session expired (run groundctl login, or set GROUNDCTL_TOKEN)",
    );
    expect(describeError(new UsageError("missing NAME"))).toBe("missing NAME");
  });
});
