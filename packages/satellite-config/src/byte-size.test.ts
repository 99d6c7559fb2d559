import { describe, expect, it } from "vitest";
import { formatByteSize, parseByteSize } from "./byte-size.js";
import { validateSatelliteConfig } from "./validate.js";

describe("byte sizes", () => {
  it("reads bytes, decimal and binary units, in any case", () => {
    expect(parseByteSize("1073741824")).toBe(1073741824);
    expect(parseByteSize("10GiB")).toBe(10 * 2 ** 30);
    expect(parseByteSize("500MB")).toBe(500e6);
    expect(parseByteSize("1.5 gb")).toBe(1.5e9);
    expect(parseByteSize("2kib")).toBe(2048);
    expect(parseByteSize("0")).toBe(0);
  });

  it("refuses what is not a size, naming why", () => {
    expect(() => parseByteSize("ten gigs")).toThrow(/not a byte size \(expected a number of bytes/);
    expect(() => parseByteSize("10 GiBs")).toThrow(/unknown unit GiBs/);
    expect(() => parseByteSize("-1")).toThrow(/not a byte size/);
    expect(() => parseByteSize("99999999999TiB")).toThrow(/too large/);
  });

  it("formats for messages", () => {
    expect(formatByteSize(512)).toBe("512 B");
    expect(formatByteSize(1536)).toBe("1.5 KiB");
    expect(formatByteSize(10 * 2 ** 30)).toBe("10 GiB");
  });

  it("app_config.store_quota and store_gc_interval: defaults, accepted values and clear refusals", () => {
    const defaults = validateSatelliteConfig({});
    if (!defaults.ok) throw new Error("refused");
    expect(defaults.config.app_config.store_quota).toBe("");
    expect(defaults.config.app_config.store_gc_interval).toBe("@every 06h00m00s");
    expect(validateSatelliteConfig({ app_config: { store_quota: "10GiB", store_gc_interval: "@every 1h" } }).ok).toBe(
      true,
    );
    expect(validateSatelliteConfig({ app_config: { store_quota: "lots" } })).toEqual({
      ok: false,
      issues: [
        {
          path: "app_config.store_quota",
          message: '"lots" is not a byte size (expected a number of bytes or a number with a unit, e.g. 10GiB)',
        },
      ],
    });
    expect(validateSatelliteConfig({ app_config: { store_quota: 1024 } })).toMatchObject({
      ok: false,
      issues: [{ path: "app_config.store_quota", message: "expected a string, got 1024" }],
    });
  });
});
