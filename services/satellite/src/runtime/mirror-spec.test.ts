import { describe, expect, it } from "vitest";
import { mirrorEndpoint, MirrorSpecError, parseMirrorFlags } from "./mirror-spec.js";

describe("--mirrors", () => {
  it("parses repeated flags and merges a runtime named twice", () => {
    expect(parseMirrorFlags(["containerd:docker.io,quay.io", "podman:docker.io", "containerd:ghcr.io, quay.io", "docker:true"])).toEqual([
      { runtime: "containerd", registries: ["docker.io", "quay.io", "ghcr.io"] },
      { runtime: "podman", registries: ["docker.io"] },
      { runtime: "docker", registries: ["docker.io"] },
    ]);
    expect(parseMirrorFlags(["crio:https://registry.example.com:5000/"])).toEqual([{ runtime: "crio", registries: ["registry.example.com:5000"] }]);
  });

  it("rejects unknown runtimes, empty lists, bad hosts and docker beyond docker.io", () => {
    for (const bad of ["docker.io", "rkt:docker.io", "containerd:", "containerd:bad host", "docker:quay.io", ":docker.io"]) {
      expect(() => parseMirrorFlags([bad]), bad).toThrow(MirrorSpecError);
    }
  });

  it("turns the satellite's address into what runtimes dial", () => {
    expect(mirrorEndpoint("0.0.0.0:8585")).toEqual({ url: "http://127.0.0.1:8585", host: "127.0.0.1:8585", insecure: true });
    expect(mirrorEndpoint("https://sat.local:8443")).toEqual({ url: "https://sat.local:8443", host: "sat.local:8443", insecure: false });
  });
});
