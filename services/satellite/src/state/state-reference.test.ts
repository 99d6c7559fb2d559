import { digestOf } from "@harbor-satellite/oci";
import {
  parseSatelliteStateDocument,
  satelliteStateDocument,
  stateRepository,
  stateUrl,
} from "@harbor-satellite/state-artifact";
import { describe, expect, it } from "vitest";
import {
  hostOf,
  InvalidStateReferenceError,
  isPlainHttpHost,
  parseStateReference,
  resolveRegistryUrl,
  satelliteNameFromStateUrl,
} from "./state-reference.js";

const D = `sha256:${"a".repeat(64)}`;

describe("state references", () => {
  it("reads the URL forms Ground Control emits", () => {
    expect(parseStateReference("harbor.example.com/satellite/group-state/g1/state:latest")).toEqual({
      registryUrl: "https://harbor.example.com",
      host: "harbor.example.com",
      repository: "satellite/group-state/g1/state",
      reference: "latest",
      pinned: false,
    });
    expect(parseStateReference("http://10.1.2.3:8080/satellite/satellite-state/s/state:latest")).toMatchObject({
      registryUrl: "http://10.1.2.3:8080",
      reference: "latest",
    });
    expect(parseStateReference(`https://h:8443/satellite/config-state/default/state@${D}`)).toMatchObject({
      registryUrl: "https://h:8443",
      reference: D,
      pinned: true,
    });
    expect(parseStateReference("core/satellite/group-state/g/state")).toMatchObject({
      registryUrl: "https://core",
      reference: "latest",
    });
  });

  it("uses plain HTTP without a scheme where go-containerregistry does, or when insecure", () => {
    expect(parseStateReference("127.0.0.1:5000/satellite/x/state:latest").registryUrl).toBe("http://127.0.0.1:5000");
    expect(parseStateReference("localhost:5000/satellite/x/state:latest").registryUrl).toBe("http://localhost:5000");
    expect(parseStateReference("harbor.local/satellite/x/state:latest").registryUrl).toBe("http://harbor.local");
    expect(parseStateReference("harbor.example.com/satellite/x/state:latest", { insecure: true }).registryUrl).toBe(
      "http://harbor.example.com",
    );
    for (const host of ["10.0.0.1", "172.16.5.5", "192.168.1.1", "127.0.0.1"])
      expect(isPlainHttpHost(host), host).toBe(true);
    for (const host of ["172.32.0.1", "8.8.8.8", "harbor.example.com", "10.0.0"])
      expect(isPlainHttpHost(host), host).toBe(false);
  });

  it("replaces scheme and host with --harbor-registry-url", () => {
    expect(
      parseStateReference("https://harbor.example.com/satellite/x/state:latest", {
        registryOverride: "http://192.168.1.10:8080",
      }),
    ).toMatchObject({ registryUrl: "http://192.168.1.10:8080", repository: "satellite/x/state" });
    expect(resolveRegistryUrl("https://harbor.example.com", { registryOverride: "harbor.internal" })).toEqual({
      registryUrl: "https://harbor.internal",
      host: "harbor.internal",
    });
  });

  it("applies --harbor-registry-url only on Harbor's host once it is known: Ground Control's satellite-state URL keeps its own", () => {
    const options = { registryOverride: "http://192.168.1.10:8080", harborHost: hostOf("https://Harbor.example.com") };
    expect(
      parseStateReference("https://harbor.example.com/satellite/group-state/g/state:latest", options).registryUrl,
    ).toBe("http://192.168.1.10:8080");
    expect(
      parseStateReference("https://gc.example.com/satellite/satellite-state/s/state:latest", options),
    ).toMatchObject({ registryUrl: "https://gc.example.com", host: "gc.example.com" });
    expect(resolveRegistryUrl("http://10.0.0.5:8080", options).registryUrl).toBe("http://10.0.0.5:8080");
  });

  it("rejects malformed URLs", () => {
    for (const bad of [
      "",
      "harbor.example.com",
      "harbor/UPPER/state:latest",
      "ftp://h/satellite/x:latest",
      "h/satellite/x@sha256:short",
      "h/satellite/x:bad tag",
      "a b/satellite/x:latest",
    ]) {
      expect(() => parseStateReference(bad), bad).toThrow(InvalidStateReferenceError);
    }
  });

  it("finds the satellite name in its state URL", () => {
    expect(satelliteNameFromStateUrl("http://h/satellite/satellite-state/edge-1/state:latest")).toBe("edge-1");
    expect(satelliteNameFromStateUrl("h/satellite/group-state/g/state:latest")).toBeUndefined();
  });
});

// What Ground Control writes (the state-artifact writer) is what this parser reads: pinned URLs
// let a satellite stop after one manifest request.
describe("state references from Ground Control's writer", () => {
  it("writes URLs the satellite's state URL parser reads as pinned references to the pushed repository", () => {
    const digest = digestOf("group state manifest");
    const config = digestOf("config state manifest");
    for (const harbor of [
      "http://127.0.0.1:8080",
      "https://harbor.example.com",
      "https://harbor.example.com:8443/",
      "harbor.local:5000",
    ]) {
      const doc = parseSatelliteStateDocument(
        JSON.parse(
          satelliteStateDocument(harbor, [{ name: "edge.eu-1", digest }], { name: "default", digest: config }),
        ),
      );
      const group = parseStateReference(doc.states[0]);
      expect(group).toMatchObject({
        repository: stateRepository("group", "edge.eu-1"),
        reference: digest,
        pinned: true,
      });
      expect(group.registryUrl).toBe(resolveRegistryUrl(harbor).registryUrl);
      expect(parseStateReference(doc.config ?? "")).toMatchObject({
        repository: stateRepository("config", "default"),
        reference: config,
        pinned: true,
      });
      // The entry point a satellite enrols with stays a tag: it is what changes.
      expect(parseStateReference(stateUrl(harbor, "satellite", "edge-1"))).toMatchObject({
        repository: stateRepository("satellite", "edge-1"),
        reference: "latest",
        pinned: false,
      });
      expect(satelliteNameFromStateUrl(stateUrl(harbor, "satellite", "edge-1"))).toBe("edge-1");
    }
  });
});
