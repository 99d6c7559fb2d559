import { describe, expect, it } from "vitest";
import { UsageError } from "../cli/usage.js";
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
      useUnsecure: false,
      shutdownTimeoutMs: 30_000,
    });
    expect(o.spiffe).toBeUndefined();
    expect(o.logLevel).toBeUndefined();
  });

  it("reads the original's environment variables, flags winning", () => {
    const env = { GROUND_CONTROL_URL: "https://env-gc", TOKEN: "envtoken", HARBOR_REGISTRY_URL: "https://harbor.internal:8443/", REGISTRY_ADDR: "127.0.0.1:9000", SATELLITE_DATA_DIR: "/var/lib/sat", LOG_LEVEL: "warn", USE_UNSECURE: "true" };
    const o = parseAgentArgs(["--token", "flagtoken"], env);
    expect(o).toMatchObject({ groundControlUrl: "https://env-gc", token: "flagtoken", harborRegistryUrl: "https://harbor.internal:8443", registryHost: "127.0.0.1", registryPort: 9000, registryAddrPinned: true, dataDir: "/var/lib/sat", logLevel: "warn", useUnsecure: true });
  });

  it("reads SPIFFE mode, with the socket from the flag or SPIFFE_ENDPOINT_SOCKET", () => {
    expect(parseAgentArgs([...GC, "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///run/spire/agent.sock"], {}).spiffe).toEqual({ endpointSocket: "unix:///run/spire/agent.sock", expectedServerId: undefined });
    const o = parseAgentArgs([...GC, "--spiffe-enabled", "--spiffe-expected-server-id", "spiffe://td.example/ground-control"], { SPIFFE_ENDPOINT_SOCKET: "tcp://127.0.0.1:8081" });
    expect(o.spiffe).toEqual({ endpointSocket: "tcp://127.0.0.1:8081", expectedServerId: "spiffe://td.example/ground-control" });
    expect(parseAgentArgs([...GC], { SPIFFE_ENABLED: "1", SPIFFE_ENDPOINT_SOCKET: "unix:///s.sock" }).spiffe?.endpointSocket).toBe("unix:///s.sock");
  });

  it("parses --mirrors into runtime specs", () => {
    const o = parseAgentArgs([...GC, "--mirrors=containerd:docker.io,quay.io", "--mirrors", "podman:docker.io"], {});
    expect(o.mirrors).toEqual([
      { runtime: "containerd", registries: ["docker.io", "quay.io"] },
      { runtime: "podman", registries: ["docker.io"] },
    ]);
  });

  it("allows plain http to a loopback Ground Control, and elsewhere only with --use-unsecure", () => {
    expect(parseAgentArgs(["--ground-control-url", "http://127.0.0.1:8080"], {}).groundControlUrl).toBe("http://127.0.0.1:8080");
    expect(parseAgentArgs(["--ground-control-url", "http://gc.lan:8080", "--use-unsecure"], {}).groundControlUrl).toBe("http://gc.lan:8080");
  });

  it.each([
    [["--nope"], /Unknown option '--nope'/],
    [[...GC, "--token", "t", "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s"], /--token or --spiffe-enabled, not both/],
    [[...GC, "--spiffe-endpoint-socket", "unix:///s"], /--spiffe-endpoint-socket needs --spiffe-enabled/],
    [[...GC, "--spiffe-expected-server-id", "spiffe://td/gc/main"], /--spiffe-expected-server-id needs --spiffe-enabled/],
    [[...GC, "--spiffe-enabled"], /needs --spiffe-endpoint-socket/],
    [[...GC, "--spiffe-enabled", "--spiffe-endpoint-socket", "/run/agent.sock"], /--spiffe-endpoint-socket: .*scheme must be unix or tcp/],
    [[...GC, "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s", "--spiffe-expected-server-id", "https://gc"], /--spiffe-expected-server-id: .*spiffe:\/\//],
    [["--ground-control-url", "http://gc.example.com", "--spiffe-enabled", "--spiffe-endpoint-socket", "unix:///s"], /SPIFFE mTLS needs an https:\/\//],
    [["--ground-control-url", "http://10.1.2.3:8080"], /plain HTTP: .* pass --use-unsecure/],
    [["--ground-control-url", "ftp://gc"], /must be http:\/\/ or https:\/\//],
    [["--ground-control-url", "https://user:pw@gc"], /must not carry credentials/],
    [["--ground-control-url", "not a url"], /is not a URL/],
    [[...GC, "--token", "two words"], /must not contain whitespace/],
    [[...GC, "--registry-addr", "8585"], /--registry-addr: must be HOST:PORT/],
    [[...GC, "--mirrors", "kubelet:docker.io"], /--mirrors: .*unknown runtime/],
    [[...GC, "--harbor-registry-url", "https://harbor/path"], /--harbor-registry-url must be/],
    [[...GC, "--log-level", "loud"], /unknown --log-level 'loud'/],
    [[...GC, "--shutdown-timeout", "soon"], /--shutdown-timeout must be a duration/],
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
