import { describe, expect, it } from "vitest";
import { EndpointAddressError } from "./errors.js";
import { resolveWorkloadEndpoint, workloadEndpointTarget } from "./workload-address.js";

describe("Workload API addresses", () => {
  it.each([
    ["unix:///tmp/spire-agent/public/api.sock", "unix:///tmp/spire-agent/public/api.sock"],
    ["unix:/tmp/agent.sock", "unix:///tmp/agent.sock"],
    ["tcp://127.0.0.1:8000", "ipv4:127.0.0.1:8000"],
    ["tcp://[::1]:8000", "ipv6:[::1]:8000"],
  ])("accepts %s", (address, target) => {
    expect(workloadEndpointTarget(address)).toBe(target);
  });

  it.each([
    ["tcp://127.0.0.1:8000/foo", /path/],
    ["tcp://127.0.0.1:8000/", /path/],
    ["tcp://localhost:8000", /IP address/],
    ["tcp://127.0.0.1", /IP and a port/],
    ["tcp://user@127.0.0.1:8000", /userinfo/],
    ["tcp://127.0.0.1:70000", /range/],
    ["tcp:127.0.0.1:8000", /tcp:\/\//],
    ["unix://host/tmp/agent.sock", /authority/],
    ["unix:relative.sock", /absolute/],
    ["unix://", /path/],
    ["unix:///tmp/a.sock?x=1", /query/],
    ["unix:///tmp/a.sock#f", /fragment/],
    ["http://127.0.0.1:8000", /scheme/],
    ["/tmp/agent.sock", /scheme/],
  ])("rejects %s", (address, why) => {
    expect(() => workloadEndpointTarget(address)).toThrow(EndpointAddressError);
    expect(() => workloadEndpointTarget(address)).toThrow(why);
  });

  it("falls back to SPIFFE_ENDPOINT_SOCKET and prefers an explicit address", () => {
    const env = { SPIFFE_ENDPOINT_SOCKET: "unix:///env.sock" };
    expect(resolveWorkloadEndpoint(undefined, env)).toBe("unix:///env.sock");
    expect(resolveWorkloadEndpoint("unix:///explicit.sock", env)).toBe("unix:///explicit.sock");
    expect(() => resolveWorkloadEndpoint(undefined, {})).toThrow(/SPIFFE_ENDPOINT_SOCKET is not set/);
  });
});
