import { describe, expect, it } from "vitest";
import { sourceKey } from "./source-key.js";

describe("source key", () => {
  it("counts IPv4 addresses one by one, written either way", () => {
    expect(sourceKey("203.0.113.7")).toBe("203.0.113.7");
    expect(sourceKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(sourceKey("::FFFF:127.0.0.2")).toBe("127.0.0.2");
    expect(sourceKey("203.0.113.8")).not.toBe(sourceKey("203.0.113.7"));
  });

  it("counts IPv6 addresses by their /64, however they are written", () => {
    const key = sourceKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    expect(key).toBe("2001:db8:1:2::/64");
    expect(sourceKey("2001:0db8:0001:0002::1")).toBe(key);
    expect(sourceKey("2001:db8:1:2::ffff:1.2.3.4")).toBe(key);
    expect(sourceKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(sourceKey("::1")).toBe("0:0:0:0::/64");
    expect(sourceKey("2001:db8:1:3::1")).not.toBe(key);
    expect(sourceKey("2001:db8::1:2:3:4")).toBe("2001:db8:0:0::/64");
  });

  it("puts callers without an address under one key", () => {
    expect(sourceKey(undefined)).toBe("unknown");
    expect(sourceKey("")).toBe("unknown");
  });
});
