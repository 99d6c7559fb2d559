import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../flags/usage-error.js";
import { parseAgentArgs } from "./agent-options.js";

const GC = ["--ground-control-url", "https://gc.example.com/"];

describe("agent flags", () => {
  it("reads token mode with defaults", () => {
    const o = parseAgentArgs([...GC, "--token", "0123456789abcdef0123456789abcdef"], {});
    expect(o).toMatchObject({
      groundControlUrl: "https://gc.example.com",
      token: "0123456789abcdef0123456789abcdef",
      dataDir: "./satellite-data",
      registryHost: "0.0.0.0",
      registryPort: 8585,
      registryAddrPinned: false,
      mirrors: [],
      noRegistryFallback: false,
      fallbackOnly: false,
      noRuntimeRestart: false,
      useUnsecure: false,
      shutdownTimeoutMs: 5_000,
    });
    expect(o.spiffe).toBeUndefined();
    expect(o.logLevel).toBeUndefined();
  });

  it("reads the original's environment variables, flags winning", () => {
    const env = {
      GROUND_CONTROL_URL: "https://env-gc",
      TOKEN: "envtoken",
      HARBOR_REGISTRY_URL: "https://harbor.internal:8443/",
      REGISTRY_ADDR: "127.0.0.1:9000",
      SATELLITE_DATA_DIR: "/var/lib/sat",
      LOG_LEVEL: "warn",
      USE_UNSECURE: "true",
    };
    const o = parseAgentArgs(["--token", "flagtoken"], env);
    expect(o).toMatchObject({
      groundControlUrl: "https://env-gc",
      token: "flagtoken",
      harborRegistryUrl: "https://harbor.internal:8443",
      registryHost: "127.0.0.1",
      registryPort: 9000,
      registryAddrPinned: true,
      dataDir: "/var/lib/sat",
      logLevel: "warn",
      useUnsecure: true,
    });
  });

  it("reads SPIFFE mode, with the socket from the flag or SPIFFE_ENDPOINT_SOCKET", () => {
    expect(
      parseAgentArgs([...GC, "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///run/spire/agent.sock"], {})
        .spiffe,
    ).toEqual({ endpointSocket: "unix:///run/spire/agent.sock", expectedServerId: undefined });
    const o = parseAgentArgs(
      [...GC, "--spiffe-enabled", "--spiffe-expected-server-id", "spiffe://td.example/ground-control"],
      { SPIFFE_ENDPOINT_SOCKET: "tcp://127.0.0.1:8081" },
    );
    expect(o.spiffe).toEqual({
      endpointSocket: "tcp://127.0.0.1:8081",
      expectedServerId: "spiffe://td.example/ground-control",
    });
    expect(
      parseAgentArgs([...GC], { SPIFFE_ENABLED: "1", SPIFFE_ENDPOINT_SOCKET: "unix:///s.sock" }).spiffe?.endpointSocket,
    ).toBe("unix:///s.sock");
  });

  it("parses --mirrors into runtime specs", () => {
    const o = parseAgentArgs([...GC, "--mirrors=containerd:docker.io,quay.io", "--mirrors", "podman:docker.io"], {});
    expect(o.mirrors).toEqual([
      { runtime: "containerd", registries: ["docker.io", "quay.io"] },
      { runtime: "podman", registries: ["docker.io"] },
    ]);
  });

  it("reads the runtime flags: --no-registry-fallback (or NO_REGISTRY_FALLBACK), --fallback-only, --no-runtime-restart", () => {
    expect(
      parseAgentArgs(
        [...GC, "--fallback-only", "--no-runtime-restart", "--mirrors", "containerd:http://10.0.0.5:5000"],
        {},
      ),
    ).toMatchObject({
      fallbackOnly: true,
      noRuntimeRestart: true,
      mirrors: [{ runtime: "containerd", upstreams: { "10.0.0.5:5000": { scheme: "http" } } }],
    });
    expect(parseAgentArgs(GC, { NO_REGISTRY_FALLBACK: "true" }).noRegistryFallback).toBe(true);
    expect(() => parseAgentArgs([...GC, "--no-registry-fallback", "--mirrors", "docker:true"], {})).toThrow(UsageError);
  });

  it("allows plain http to a loopback Ground Control, and elsewhere only with --use-unsecure", () => {
    expect(parseAgentArgs(["--ground-control-url", "http://127.0.0.1:8080"], {}).groundControlUrl).toBe(
      "http://127.0.0.1:8080",
    );
    expect(parseAgentArgs(["--ground-control-url", "http://gc.lan:8080", "--use-unsecure"], {}).groundControlUrl).toBe(
      "http://gc.lan:8080",
    );
  });

  it.each([
    [["--nope"], /Unknown option '--nope'/],
    [
      [...GC, "--token", "t", "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s"],
      /--token or --spiffe-enabled, not both/,
    ],
    [[...GC, "--spiffe-endpoint-socket", "unix:///s"], /--spiffe-endpoint-socket needs --spiffe-enabled/],
    [
      [...GC, "--spiffe-expected-server-id", "spiffe://td/gc/main"],
      /--spiffe-expected-server-id needs --spiffe-enabled/,
    ],
    [[...GC, "--spiffe-enabled"], /needs --spiffe-endpoint-socket/],
    [
      [...GC, "--spiffe-enabled", "--spiffe-endpoint-socket", "/run/agent.sock"],
      /--spiffe-endpoint-socket: .*scheme must be unix or tcp/,
    ],
    [
      [...GC, "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s", "--spiffe-expected-server-id", "https://gc"],
      /--spiffe-expected-server-id: .*spiffe:\/\//,
    ],
    [
      ["--ground-control-url", "http://gc.example.com", "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s"],
      /SPIFFE mTLS needs an https:\/\//,
    ],
    [["--ground-control-url", "http://10.1.2.3:8080"], /plain HTTP: .* pass --use-unsecure/],
    [["--ground-control-url", "ftp://gc"], /must be http:\/\/ or https:\/\//],
    [["--ground-control-url", "https://user:pw@gc"], /must not carry credentials/],
    [["--ground-control-url", "not a url"], /is not a URL/],
    [[...GC, "--token", "two words"], /must be one word without whitespace/],
    [[...GC, "--registry-addr", "8585"], /--registry-addr: must be HOST:PORT/],
    [[...GC, "--mirrors", "kubelet:docker.io"], /--mirrors: .*unknown runtime/],
    [[...GC, "--harbor-registry-url", "https://harbor/path"], /--harbor-registry-url must be/],
    [[...GC, "--log-level", "loud"], /unknown --log-level 'loud'/],
    [[...GC, "--shutdown-timeout", "soon"], /--shutdown-timeout must be a duration/],
    [[...GC, "--token", "t", "--token-file", "/f"], /--token and --token-file, not both/],
    [[...GC, "--token-file", "/nonexistent/token"], /--token-file \/nonexistent\/token cannot be read \(ENOENT\)/],
    [[...GC, "--max-connections", "0"], /--max-connections must be a positive whole number/],
    [[...GC, "--max-connections", "10", "--max-connections-per-source", "11"], /cannot exceed --max-connections/],
    [[...GC, "--idle-timeout", "never"], /--idle-timeout must be a duration/],
    [[...GC, "--max-upload-sessions-per-source=0"], /--max-upload-sessions-per-source must be a positive whole number/],
  ])("refuses %j with a clear usage error", (argv, message) => {
    const error = (() => {
      try {
        parseAgentArgs(argv, {});
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("agent token sources", () => {
  const dir = mkdtempSync(join(tmpdir(), "hs-token-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  it("reads --token-file once, trimmed, and says where the token came from", () => {
    const o = parseAgentArgs([...GC, "--token-file", file("token", "  0123456789abcdef\n\n")], { TOKEN: "ignored" });
    expect([o.token, o.tokenSource]).toEqual(["0123456789abcdef", "file"]);
    expect(parseAgentArgs([...GC, "--token", "flagtoken"], {}).tokenSource).toBe("flag");
  });

  it("takes SATELLITE_TOKEN (docker/compose.yaml) before the original's TOKEN", () => {
    expect(parseAgentArgs(GC, { SATELLITE_TOKEN: "sat", TOKEN: "orig" })).toMatchObject({
      token: "sat",
      tokenSource: "env",
    });
    expect(parseAgentArgs(GC, { TOKEN: " orig " })).toMatchObject({ token: "orig", tokenSource: "env" });
    expect(parseAgentArgs(GC, {}).token).toBeUndefined();
  });

  it("refuses an empty token file or one with two words, without quoting its content", () => {
    expect(() => parseAgentArgs([...GC, "--token-file", file("empty", " \n")], {})).toThrow(
      /--token-file .*empty is empty/,
    );
    let message = "";
    try {
      parseAgentArgs([...GC, "--token-file", file("two", "secret-part other-part\n")], {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must be one word/);
    expect(message).not.toContain("secret-part");
  });
});

describe("agent scrub flags", () => {
  it("scrub every 24h at 50 MB/s unless told; 0 or off turns it off; SCRUB_INTERVAL and SCRUB_RATE, flags winning", () => {
    expect(parseAgentArgs(GC, {}).scrub).toEqual({ intervalMs: 86_400_000, bytesPerSecond: 50e6 });
    expect(parseAgentArgs([...GC, "--scrub-interval", "90m", "--scrub-rate", "2.5"], {}).scrub).toEqual({
      intervalMs: 5_400_000,
      bytesPerSecond: 2.5e6,
    });
    expect(parseAgentArgs([...GC, "--scrub-interval", "3s"], { SCRUB_INTERVAL: "1h", SCRUB_RATE: "10" }).scrub).toEqual(
      { intervalMs: 3_000, bytesPerSecond: 10e6 },
    );
    for (const off of ["0", "off", "OFF"])
      expect(parseAgentArgs([...GC, "--scrub-interval", off], {}).scrub).toBeUndefined();
    expect(parseAgentArgs(GC, { SCRUB_INTERVAL: "off" }).scrub).toBeUndefined();
  });

  it("refuses a scrub interval that is not a duration or under a second, and a rate that is not positive", () => {
    for (const argv of [
      ["--scrub-interval", "daily"],
      ["--scrub-interval", "500ms"],
      ["--scrub-interval", "-1h"],
      ["--scrub-rate", "0"],
      ["--scrub-rate", "fast"],
      ["--scrub-rate", ""],
    ]) {
      expect(() => parseAgentArgs([...GC, ...argv], {}), argv.join(" ")).toThrow(UsageError);
    }
  });
});

describe("agent registry flags", () => {
  it("keep the shared defaults unless given, and read the write credentials file from the flag or the environment", () => {
    expect(parseAgentArgs(GC, {}).registry).toEqual({ writeCredentialsFile: undefined, limits: {}, uploads: {} });
    const o = parseAgentArgs(
      [
        ...GC,
        "--max-connections",
        "500",
        "--max-connections-per-source",
        "50",
        "--idle-timeout",
        "5m",
        "--max-upload-sessions",
        "128",
        "--max-upload-sessions-per-source",
        "8",
      ],
      { REGISTRY_WRITE_CREDENTIALS_FILE: "/etc/sat/writers" },
    );
    expect(o.registry).toEqual({
      writeCredentialsFile: "/etc/sat/writers",
      limits: { maxConnections: 500, maxConnectionsPerSource: 50, idleMs: 300_000 },
      uploads: { maxSessions: 128, maxSessionsPerSource: 8 },
    });
    expect(
      parseAgentArgs([...GC, "--registry-write-credentials-file", "/flag"], { REGISTRY_WRITE_CREDENTIALS_FILE: "/env" })
        .registry.writeCredentialsFile,
    ).toBe("/flag");
  });
});
