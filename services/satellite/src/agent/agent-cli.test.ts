// The CLI edge of the agent: flag mistakes and "cannot enrol" exit 2 with the reason on stderr,
// before anything listens.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli/main.js";

let dir: string;
let stderr: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-cli-"));
  stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation(
    (chunk: string | Uint8Array) => ((stderr += chunk.toString()), true),
  );
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe("satellite (agent mode) on the command line", () => {
  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--data-dir", "DIR"], /--ground-control-url URL is required/],
    [["--ground-control-url", "http://192.0.2.1:8080", "--token", "t"], /plain HTTP/],
    [["--ground-control-url", "http://127.0.0.1:9", "--data-dir", "DIR"], /not enrolled yet: start with --token/],
  ])("exits 2 for %j", async (argv, message) => {
    const code = await main(argv.map((a) => (a === "DIR" ? dir : a)));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain("Usage:");
  });

  it("prints the agent's help", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation(
      (chunk: string | Uint8Array) => ((stdout += chunk.toString()), true),
    );
    expect(await main(["--ground-control-url", "https://gc", "--help"])).toBe(0);
    expect(stdout).toContain("--spiffe-expected-server-id");
  });
});
