import { describe, expect, it } from "vitest";
import { mirrorEndpoint, MirrorSpecError, parseMirrorFlags } from "./mirror-spec.js";

describe("--mirrors", () => {
  it("parses repeated flags and merges a runtime named twice", () => {
    expect(
      parseMirrorFlags([
        "containerd:docker.io,quay.io",
        "podman:docker.io",
        "containerd:ghcr.io, quay.io",
        "docker:true",
      ]),
    ).toEqual([
      { runtime: "containerd", registries: ["docker.io", "quay.io", "ghcr.io"] },
      { runtime: "podman", registries: ["docker.io"] },
      { runtime: "docker", registries: ["docker.io"] },
    ]);
    expect(parseMirrorFlags(["crio:https://registry.example.com:5000/"])).toEqual([
      {
        runtime: "crio",
        registries: ["registry.example.com:5000"],
        upstreams: { "registry.example.com:5000": { scheme: "https" } },
      },
    ]);
  });

  it("keeps an upstream's scheme and TLS options (the fallback past the satellite)", () => {
    expect(
      parseMirrorFlags([
        "containerd:HTTP://10.0.0.5:5000/,https://reg.corp?ca=/etc/ssl/Corp.pem&skip_verify=false,quay.io",
        "crio:https://lab.local?skip_verify",
      ]),
    ).toEqual([
      {
        runtime: "containerd",
        registries: ["10.0.0.5:5000", "reg.corp", "quay.io"],
        upstreams: {
          "10.0.0.5:5000": { scheme: "http" },
          "reg.corp": { scheme: "https", ca: "/etc/ssl/Corp.pem", skipVerify: false },
        },
      },
      { runtime: "crio", registries: ["lab.local"], upstreams: { "lab.local": { scheme: "https", skipVerify: true } } },
    ]);
    for (const bad of [
      "containerd:reg.corp?ca=relative.pem",
      "containerd:reg.corp?verify=no",
      "containerd:http://reg.corp?skip_verify=true",
      "docker:http://docker.io",
    ]) {
      expect(() => parseMirrorFlags([bad]), bad).toThrow(MirrorSpecError);
    }
  });

  it("rejects unknown runtimes, empty lists, bad hosts and docker beyond docker.io", () => {
    for (const bad of [
      "docker.io",
      "rkt:docker.io",
      "containerd:",
      "containerd:bad host",
      "docker:quay.io",
      ":docker.io",
    ]) {
      expect(() => parseMirrorFlags([bad]), bad).toThrow(MirrorSpecError);
    }
  });

  it("turns the satellite's address into what runtimes dial", () => {
    expect(mirrorEndpoint("0.0.0.0:8585")).toEqual({
      url: "http://127.0.0.1:8585",
      host: "127.0.0.1:8585",
      insecure: true,
    });
    expect(mirrorEndpoint("https://sat.local:8443")).toEqual({
      url: "https://sat.local:8443",
      host: "sat.local:8443",
      insecure: false,
    });
  });
});
