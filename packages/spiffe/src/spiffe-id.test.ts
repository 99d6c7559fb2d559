import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpiffeIdError } from "./errors.js";
import { SpiffeId, TrustDomain, isSpiffeId } from "./spiffe-id.js";

const tdChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789.-_".split(""));
const segChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_".split(""));
const trustDomainName = fc.string({ unit: tdChar, minLength: 1, maxLength: 40 });
const segment = fc.string({ unit: segChar, minLength: 1, maxLength: 12 }).filter((s) => s !== "." && s !== "..");
const segments = fc.array(segment, { maxLength: 6 });

function reasonOf(input: string): string {
  try {
    SpiffeId.parse(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SpiffeIdError);
    return (err as SpiffeIdError).reason;
  }
  return "valid";
}

describe("SpiffeId", () => {
  it("round-trips every valid trust domain and path", () => {
    fc.assert(
      fc.property(trustDomainName, segments, (td, segs) => {
        const text = `spiffe://${td}${segs.map((s) => "/" + s).join("")}`;
        const id = SpiffeId.parse(text);
        expect(id.toString()).toBe(text);
        expect(id.trustDomain.name).toBe(td);
        expect(id.segments()).toEqual(segs);
        expect(SpiffeId.fromSegments(TrustDomain.parse(td), ...segs).equals(id)).toBe(true);
      }),
    );
  });

  it("rejects any character outside the trust domain alphabet", () => {
    const bad = fc
      .string({ minLength: 1, maxLength: 1 })
      .filter((c) => !/^[a-z0-9._-]$/.test(c) && c !== "/" && c !== "?" && c !== "#");
    fc.assert(
      fc.property(trustDomainName, bad, trustDomainName, (a, c, b) => {
        expect(isSpiffeId(`spiffe://${a}${c}${b}/x`)).toBe(false);
      }),
    );
  });

  it("rejects any character outside the path segment alphabet", () => {
    const bad = fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/^[a-zA-Z0-9._/-]$/.test(c));
    fc.assert(
      fc.property(segment, bad, segment, (a, c, b) => {
        expect(isSpiffeId(`spiffe://example.org/${a}${c}${b}`)).toBe(false);
      }),
    );
  });

  it.each([
    ["", "empty"],
    ["http://example.org/x", "wrong-scheme"],
    ["spiffe:example.org/x", "wrong-scheme"],
    ["spiffe://", "missing-trust-domain"],
    ["spiffe:///path", "missing-trust-domain"],
    ["spiffe://Example.org/x", "bad-trust-domain-char"],
    ["spiffe://user@example.org/x", "userinfo-or-port"],
    ["spiffe://example.org:8443/x", "userinfo-or-port"],
    ["spiffe://exa%41mple.org/x", "percent-encoded"],
    ["spiffe://example.org/x?y=1", "query-or-fragment"],
    ["spiffe://example.org/x#frag", "query-or-fragment"],
    ["spiffe://example.org/a//b", "empty-segment"],
    ["spiffe://example.org/a/./b", "dot-segment"],
    ["spiffe://example.org/a/../b", "dot-segment"],
    ["spiffe://example.org/a/", "trailing-slash"],
    ["spiffe://example.org/", "trailing-slash"],
    ["spiffe://example.org/a%20b", "percent-encoded"],
    ["spiffe://example.org/a b", "bad-path-char"],
    ["spiffe://[::1]/x", "bad-trust-domain-char"],
  ])("rejects %j (%s)", (input, reason) => {
    expect(reasonOf(input)).toBe(reason);
  });

  it("accepts an upper-case scheme (case-insensitive) and normalises it", () => {
    expect(SpiffeId.parse("SPIFFE://example.org/a/B").toString()).toBe("spiffe://example.org/a/B");
  });

  it("is case-sensitive in the path", () => {
    expect(SpiffeId.parse("spiffe://example.org/A").equals(SpiffeId.parse("spiffe://example.org/a"))).toBe(false);
  });

  it("enforces the 2048-byte ID and 255-byte trust domain limits", () => {
    const td = "a".repeat(255);
    expect(SpiffeId.parse(`spiffe://${td}/x`).trustDomain.name).toBe(td);
    expect(reasonOf(`spiffe://${td}a/x`)).toBe("trust-domain-too-long");
    const path = "/" + "p".repeat(2048 - "spiffe://example.org/".length);
    expect(SpiffeId.parse(`spiffe://example.org${path}`).toString()).toHaveLength(2048);
    expect(reasonOf(`spiffe://example.org${path}p`)).toBe("too-long");
    expect(() => SpiffeId.fromSegments(TrustDomain.parse("example.org"), "p".repeat(2048))).toThrow(SpiffeIdError);
  });

  it("fromSegments validates each segment", () => {
    const td = TrustDomain.parse("example.org");
    expect(() => SpiffeId.fromSegments(td, "a/b")).not.toThrow(); // two segments, both valid
    for (const bad of ["", ".", "..", "a b", "é"]) expect(() => SpiffeId.fromSegments(td, bad)).toThrow(SpiffeIdError);
  });
});

describe("TrustDomain", () => {
  it("accepts a name or a trust domain ID and renders both forms", () => {
    for (const input of ["example.org", "spiffe://example.org"]) {
      const td = TrustDomain.parse(input);
      expect([td.name, td.idString(), td.id("gc", "main").toString()]).toEqual([
        "example.org",
        "spiffe://example.org",
        "spiffe://example.org/gc/main",
      ]);
    }
  });

  it("rejects an ID with a path and invalid names", () => {
    expect(() => TrustDomain.parse("spiffe://example.org/x")).toThrow(/must not have a path/);
    for (const bad of ["", "Example.org", "example.org:443", "a/b"])
      expect(() => TrustDomain.parse(bad)).toThrow(SpiffeIdError);
  });

  it("member check compares trust domains exactly", () => {
    fc.assert(
      fc.property(trustDomainName, trustDomainName, segments, (a, b, segs) => {
        const id = SpiffeId.fromSegments(TrustDomain.parse(a), ...segs);
        expect(id.memberOf(TrustDomain.parse(b))).toBe(a === b);
      }),
    );
  });
});
