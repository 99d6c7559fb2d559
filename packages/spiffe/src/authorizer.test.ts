import { describe, expect, it } from "vitest";
import {
  authorizeAll,
  authorizeAny,
  authorizeID,
  authorizeMemberOf,
  authorizeOneOf,
  authorizePathPrefix,
  type Authorizer,
} from "./authorizer.js";
import { SvidVerificationError } from "./errors.js";
import { SpiffeId } from "./spiffe-id.js";

function allows(authorize: Authorizer, id: string): boolean {
  try {
    authorize(SpiffeId.parse(id));
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(SvidVerificationError);
    expect((err as SvidVerificationError).reason).toBe("unauthorized");
    return false;
  }
}

describe("authorizers", () => {
  it("authorizeAny allows any ID", () => {
    expect(allows(authorizeAny(), "spiffe://evil.test/x")).toBe(true);
  });

  it("authorizeID and authorizeOneOf compare whole IDs", () => {
    expect(allows(authorizeID("spiffe://example.org/gc/main"), "spiffe://example.org/gc/main")).toBe(true);
    expect(allows(authorizeID("spiffe://example.org/gc/main"), "spiffe://example.org/gc/main2")).toBe(false);
    expect(allows(authorizeID(SpiffeId.parse("spiffe://example.org/gc/main")), "spiffe://other.org/gc/main")).toBe(
      false,
    );
    const oneOf = authorizeOneOf(["spiffe://example.org/a", SpiffeId.parse("spiffe://example.org/b")]);
    expect([
      allows(oneOf, "spiffe://example.org/a"),
      allows(oneOf, "spiffe://example.org/b"),
      allows(oneOf, "spiffe://example.org/c"),
    ]).toEqual([true, true, false]);
  });

  it("authorizeMemberOf checks the trust domain only", () => {
    expect(allows(authorizeMemberOf("example.org"), "spiffe://example.org/anything")).toBe(true);
    expect(allows(authorizeMemberOf("example.org"), "spiffe://example.org.evil.test/anything")).toBe(false);
  });

  it("authorizePathPrefix matches whole segments in one trust domain, like the Go original", () => {
    const satellites = authorizePathPrefix("example.org", "/satellite/");
    expect(allows(satellites, "spiffe://example.org/satellite")).toBe(true);
    expect(allows(satellites, "spiffe://example.org/satellite/region/eu/s1")).toBe(true);
    expect(allows(satellites, "spiffe://example.org/satellites/x")).toBe(false);
    expect(allows(satellites, "spiffe://example.org/gc/main")).toBe(false);
    expect(allows(satellites, "spiffe://evil.test/satellite/region/eu/s1")).toBe(false);
    expect(() => authorizePathPrefix("example.org", "satellite")).toThrow(TypeError);
  });

  it("authorizeAll needs every authorizer", () => {
    const notS2 = (id: SpiffeId) => {
      if (id.path.endsWith("/s2")) throw new SvidVerificationError("unauthorized", "s2 is banned");
    };
    const both = authorizeAll(authorizePathPrefix("example.org", "/satellite"), notS2);
    expect(allows(both, "spiffe://example.org/satellite/region/eu/s1")).toBe(true);
    expect(allows(both, "spiffe://example.org/satellite/region/eu/s2")).toBe(false);
  });
});
