import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpiffeIdError } from "./errors.js";
import { groundControlSpiffeId, parseSatelliteId, satelliteSpiffeId } from "./satellite-id.js";
import { SpiffeId, TrustDomain } from "./spiffe-id.js";

const td = TrustDomain.parse("harbor-satellite.local");
const segChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_".split(""));
const segment = fc.string({ unit: segChar, minLength: 1, maxLength: 20 }).filter((s) => s !== "." && s !== "..");

describe("satellite IDs", () => {
  it("builds spiffe://<td>/satellite/region/<region>/<name> and parses it back", () => {
    fc.assert(
      fc.property(segment, segment, (region, name) => {
        const id = satelliteSpiffeId(td, region, name);
        expect(id.toString()).toBe(`spiffe://harbor-satellite.local/satellite/region/${region}/${name}`);
        expect(parseSatelliteId(SpiffeId.parse(id.toString()))).toEqual({ name, region });
      }),
    );
  });

  it("refuses names and regions that are not path segments", () => {
    expect(() => satelliteSpiffeId(td, "eu", "a b")).toThrow(SpiffeIdError);
    expect(() => satelliteSpiffeId(td, "", "s1")).toThrow(SpiffeIdError);
  });

  it("accepts the Go original's short forms", () => {
    expect(parseSatelliteId(td.id("satellite"))).toEqual({ name: "default", region: "default" });
    expect(parseSatelliteId(td.id("satellite", "edge-1"))).toEqual({ name: "edge-1", region: "default" });
  });

  it.each([
    ["gc/main"],
    ["satellites/x"],
    ["satellite/region"],
    ["satellite/region/eu"],
    ["satellite/a/b"],
    ["satellite/region/eu/s1/x"],
  ])("rejects /%s", (path) => {
    expect(() => parseSatelliteId(SpiffeId.fromPath(td, "/" + path))).toThrow(SpiffeIdError);
  });

  it("names Ground Control spiffe://<td>/gc/main", () => {
    expect(groundControlSpiffeId(td).toString()).toBe("spiffe://harbor-satellite.local/gc/main");
  });
});
