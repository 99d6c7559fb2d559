import { describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { ImageReplicationError } from "../replication/index.js";
import { formatReport } from "./sync.js";
import { parseSyncArgs } from "./sync-args.js";

const base = ["--once", "--upstream", "https://harbor.example.com", "--data-dir", "/tmp/d", "--image", "lib/app:v1"];

describe("satellite sync flags", () => {
  it("parses a full command line", () => {
    const config = parseSyncArgs(
      [
        ...base,
        "--image",
        "lib/db:2",
        "--username",
        "robot$sat",
        "--password",
        "pw",
        "--platform",
        "linux/arm64",
        "--workers",
        "3",
      ],
      {},
    );
    expect(config).toMatchObject({
      upstream: "https://harbor.example.com",
      username: "robot$sat",
      password: "pw",
      images: [
        { repository: "lib/app", tag: "v1" },
        { repository: "lib/db", tag: "2" },
      ],
      platform: { os: "linux", architecture: "arm64" },
      workers: 3,
      connections: 8,
    });
  });
  it("takes the password from SATELLITE_UPSTREAM_PASSWORD when the flag is absent", () => {
    expect(parseSyncArgs([...base, "--username", "u"], { SATELLITE_UPSTREAM_PASSWORD: "from-env" }).password).toBe(
      "from-env",
    );
  });
  it("takes the edge policy's config and what to do outside a sync window (exit by default)", () => {
    expect(parseSyncArgs(base, {})).toMatchObject({ configFile: undefined, outsideWindow: "exit" });
    expect(parseSyncArgs([...base, "--config", "/etc/sat.json", "--wait-for-window"], {})).toMatchObject({
      configFile: "/etc/sat.json",
      outsideWindow: "wait",
    });
    expect(parseSyncArgs([...base, "--ignore-window"], {}).outsideWindow).toBe("ignore");
  });
  it("refuses what it cannot run, as usage errors", () => {
    const cases: [string[], RegExp][] = [
      [base.filter((a) => a !== "--once"), /--once/],
      [["--once", "--data-dir", "d", "--image", "a:1"], /--upstream/],
      [["--once", "--upstream", "http://h", "--image", "a:1"], /--data-dir/],
      [["--once", "--upstream", "http://h", "--data-dir", "d"], /--image/],
      [[...base, "--username", "u"], /go together/],
      [["--once", "--upstream", "ftp://h", "--data-dir", "d", "--image", "a:1"], /http/],
      [["--once", "--upstream", "http://u:p@h", "--data-dir", "d", "--image", "a:1"], /not in --upstream/],
      [[...base, "--image", "nope"], /REPOSITORY:TAG/],
      [[...base, "--platform", "linux"], /invalid platform/],
      [[...base, "--workers", "0"], /positive integer/],
      [[...base, "--bogus"], /Unknown option/],
      [[...base, "--ignore-window", "--wait-for-window"], /choose one of --ignore-window and --wait-for-window/],
    ];
    for (const [argv, why] of cases) {
      expect(() => parseSyncArgs(argv, {}), argv.join(" ")).toThrow(UsageError);
      expect(() => parseSyncArgs(argv, {}), argv.join(" ")).toThrow(why);
    }
  });
});

describe("sync report", () => {
  it("ends with the summary line", () => {
    const report = formatReport({
      bytes: 400_000_000,
      blobsCopied: 5,
      blobsSkipped: 1,
      seconds: 2,
      requests: 9,
      images: [
        { image: "lib/app:v1", status: "copied", digest: `sha256:${"c".repeat(64)}`, blobsCopied: 5, blobsSkipped: 1 },
        {
          image: "lib/gone:1",
          status: "failed",
          blobsCopied: 0,
          blobsSkipped: 0,
          error: new ImageReplicationError("lib/gone:1", new Error("404")),
        },
      ],
      failed: [],
      owned: [],
    });
    const lines = report.trimEnd().split("\n");
    expect(lines[0]).toBe(`copied    lib/app:v1 sha256:${"c".repeat(64)} blobs_copied=5 blobs_skipped=1`);
    expect(lines[1]).toBe("failed    lib/gone:1");
    expect(lines.at(-1)).toBe("bytes=400000000 blobs_copied=5 blobs_skipped=1 seconds=2.000 mbps=200.0");
  });
  it("marks the images require_signature refuses, and counts them last", () => {
    const digest = `sha256:${"d".repeat(64)}`;
    const report = formatReport(
      {
        bytes: 0,
        blobsCopied: 0,
        blobsSkipped: 1,
        seconds: 1,
        requests: 1,
        images: [{ image: "lib/app:v1", status: "unchanged", digest, blobsCopied: 0, blobsSkipped: 1 }],
        failed: [],
        owned: [],
      },
      [
        {
          image: "lib/app:v1",
          reason: "unsigned",
          message: "not served: signature required (unsigned): no cosign signature found",
        },
      ],
    );
    expect(report.trimEnd().split("\n")).toEqual([
      `unchanged lib/app:v1 ${digest} not_served=unsigned`,
      "bytes=0 blobs_copied=0 blobs_skipped=1 seconds=1.000 mbps=0.0 refused=1",
    ]);
  });
});
