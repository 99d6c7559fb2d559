import { describe, expect, it } from "vitest";
import { parseRuntimeFlags } from "../flags/runtime-flags.js";
import { UsageError } from "../flags/usage-error.js";
import type { DetectedRuntime } from "./detect.js";
import { parseMirrorFlags } from "./mirror-spec.js";
import { chooseRuntimes, describeDetected, type RegistryFallbackConfig } from "./select-runtimes.js";

const off: RegistryFallbackConfig = { enabled: false, registries: ["docker.io"], runtimes: [] };
const installed: DetectedRuntime[] = [
  { runtime: "containerd", evidence: "/run/containerd/containerd.sock" },
  { runtime: "docker", evidence: "/usr/bin/dockerd" },
];
let detections = 0;
const detect = async () => (detections++, installed);
const mirrors = parseMirrorFlags(["podman:quay.io"]);
const base = { noRegistryFallback: false, fallbackOnly: false, mirrors: [], registryFallback: off, detect };

describe("which runtimes are configured", () => {
  it("none unless asked: no --mirrors, registry_fallback off, not --fallback-only (nothing is detected)", async () => {
    detections = 0;
    expect(await chooseRuntimes(base)).toEqual({ specs: [], source: "none", mirrorsIgnored: false });
    expect(detections).toBe(0);
  });

  it("--mirrors alone: exactly those", async () => {
    expect(await chooseRuntimes({ ...base, mirrors })).toEqual({
      specs: mirrors,
      source: "mirrors",
      mirrorsIgnored: false,
    });
  });

  it("registry_fallback enabled without runtimes: the installed ones, for its registries (docker: docker.io), winning over --mirrors", async () => {
    const choice = await chooseRuntimes({
      ...base,
      mirrors,
      registryFallback: { enabled: true, registries: ["docker.io", "http://10.0.0.5:5000"], runtimes: [] },
    });
    expect(choice).toEqual({
      source: "registry_fallback",
      detected: installed,
      mirrorsIgnored: true,
      specs: [
        {
          runtime: "containerd",
          registries: ["docker.io", "10.0.0.5:5000"],
          upstreams: { "10.0.0.5:5000": { scheme: "http" } },
        },
        { runtime: "docker", registries: ["docker.io"] },
      ],
    });
  });

  it("registry_fallback naming runtimes: those, nothing detected; an empty registries list means docker.io", async () => {
    detections = 0;
    const choice = await chooseRuntimes({
      ...base,
      registryFallback: { enabled: true, registries: [], runtimes: ["crio"] },
    });
    expect(choice).toEqual({
      specs: [{ runtime: "crio", registries: ["docker.io"] }],
      source: "registry_fallback",
      mirrorsIgnored: false,
    });
    expect(detections).toBe(0);
  });

  it("--no-registry-fallback vetoes everything, Ground Control's registry_fallback included", async () => {
    expect(
      await chooseRuntimes({
        ...base,
        noRegistryFallback: true,
        registryFallback: { enabled: true, registries: ["docker.io"], runtimes: ["containerd"] },
      }),
    ).toEqual({ specs: [], source: "no-registry-fallback", mirrorsIgnored: false });
  });

  it("--fallback-only with nothing else: the installed runtimes for docker.io; with --mirrors: those", async () => {
    expect((await chooseRuntimes({ ...base, fallbackOnly: true })).specs).toEqual([
      { runtime: "containerd", registries: ["docker.io"] },
      { runtime: "docker", registries: ["docker.io"] },
    ]);
    expect((await chooseRuntimes({ ...base, fallbackOnly: true, mirrors })).specs).toEqual(mirrors);
  });

  it("says what was detected in one line", () => {
    expect(describeDetected(installed)).toBe(
      "runtimes detected: containerd (socket /run/containerd/containerd.sock), docker (binary /usr/bin/dockerd)",
    );
    expect(describeDetected([])).toBe("runtimes detected: none");
  });
});

describe("runtime flags", () => {
  it("read the flags and the original's NO_REGISTRY_FALLBACK (and NO_RUNTIME_RESTART), flags winning", () => {
    expect(parseRuntimeFlags({}, {})).toEqual({
      mirrors: [],
      noRegistryFallback: false,
      fallbackOnly: false,
      noRuntimeRestart: false,
    });
    expect(parseRuntimeFlags({}, { NO_REGISTRY_FALLBACK: "true", NO_RUNTIME_RESTART: "1" })).toMatchObject({
      noRegistryFallback: true,
      noRuntimeRestart: true,
    });
    expect(
      parseRuntimeFlags({ "no-registry-fallback": false }, { NO_REGISTRY_FALLBACK: "true" }).noRegistryFallback,
    ).toBe(false);
    expect(
      parseRuntimeFlags({ "fallback-only": true, mirrors: ["containerd:http://10.0.0.5:5000"] }, {}),
    ).toMatchObject({ fallbackOnly: true, mirrors: [{ runtime: "containerd", registries: ["10.0.0.5:5000"] }] });
  });

  it("refuse contradictions and bad --mirrors", () => {
    expect(() => parseRuntimeFlags({ "no-registry-fallback": true, mirrors: ["containerd:docker.io"] }, {})).toThrow(
      UsageError,
    );
    expect(() => parseRuntimeFlags({ "fallback-only": true }, { NO_REGISTRY_FALLBACK: "yes" })).toThrow(UsageError);
    expect(() => parseRuntimeFlags({ mirrors: ["kubelet:docker.io"] }, {})).toThrow(/--mirrors: .*unknown runtime/);
  });
});
